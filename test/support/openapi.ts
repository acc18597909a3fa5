// Redocly's fork of ajv 8 (a dependency of @redocly/openapi-core): the ajv this repo resolves is
// ajv 6, which has no JSON Schema 2020-12, the dialect of OpenAPI 3.1.
import { Ajv2020, type ValidateFunction } from '@redocly/ajv/dist/2020';
import { catalogOpenApiDocument } from '../../src/rest/openapi';

type Json = Record<string, any>;

/** What a REST test received, as far as the document describes it. */
export interface ReceivedResponse {
  status: number;
  contentType: string;
  text: string;
  body: unknown;
}

const DOCUMENT_ID = 'openapi.json';
const document = catalogOpenApiDocument() as Json;
const ajv = new Ajv2020({ strict: false, allErrors: true });
ajv.addFormat('date-time', (value: string) => /^\d{4}-\d{2}-\d{2}T/.test(value) && !Number.isNaN(Date.parse(value)));
ajv.addFormat('uri', (value: string) => URL.canParse(value));
ajv.addSchema({ $id: DOCUMENT_ID, components: document['components'] });
const compiled = new Map<unknown, ValidateFunction>();

/** `/x/install` → `/{package_id}/install`; literal paths win over templated ones. */
function documentedPath(path: string): string | undefined {
  const templates = Object.keys(document['paths']).sort((a, b) => Number(a.includes('{')) - Number(b.includes('{')));
  return templates.find((template) => new RegExp(`^${template.replace(/\{[^}]+\}/g, '[^/]+')}$`).test(path));
}

function validatorFor(schema: Json): ValidateFunction {
  let validate = compiled.get(schema);
  if (!validate) {
    // The document's refs are local (`#/components/…`): point them at the registered document.
    validate = ajv.compile(JSON.parse(JSON.stringify(schema).replaceAll('"#/components/', `"${DOCUMENT_ID}#/components/`)));
    compiled.set(schema, validate);
  }
  return validate;
}

/**
 * Throws unless the OpenAPI document declares this status for the endpoint and the body matches
 * the declared schema. A request outside the document must have been answered 404 problem+json.
 */
export function assertDocumentedResponse(method: string, pathAndQuery: string, response: ReceivedResponse): void {
  const path = pathAndQuery.split('?')[0]!.replace(/\/$/, '') || '/';
  const template = documentedPath(path);
  const operation = template ? document['paths'][template][method.toLowerCase()] : undefined;
  const where = `${method} ${path} → ${response.status}`;
  const declared = operation
    ? operation.responses[String(response.status)]
    : { description: 'not found', content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } } };
  if (!operation && response.status !== 404) throw new Error(`${where}: the endpoint is not in the OpenAPI document`);
  if (!declared) throw new Error(`${where}: the OpenAPI document declares no such status for ${method} ${template}`);
  if (!declared.content) {
    if (response.text !== '') throw new Error(`${where}: the document declares no body, got ${response.text.slice(0, 200)}`);
    return;
  }
  const mediaType = response.contentType.split(';')[0]!.trim();
  const media = declared.content[mediaType];
  if (!media) throw new Error(`${where}: content type ${mediaType}, the document declares ${Object.keys(declared.content).join(', ')}`);
  const validate = validatorFor(media.schema);
  if (!validate(response.body)) throw new Error(`${where}: the body does not match the document: ${ajv.errorsText(validate.errors)}`);
}

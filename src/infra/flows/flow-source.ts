import { FlowSourceUnavailableError } from '../../common/errors';

/** Where saved flows come from when a package is published by `flow_id`. */
export interface FlowSource {
  /**
   * The latest saved content of the flow, after checking that the caller (whose own
   * `Authorization` header is forwarded) holds `deploy` on it.
   */
  fetchFlowForDeploy(flowId: string, authorization: string): Promise<unknown>;
}

/** Used when `FLOWS_API_URL` is not set: publishing by `flow_id` explains how to enable it. */
export class UnconfiguredFlowSource implements FlowSource {
  async fetchFlowForDeploy(): Promise<unknown> {
    throw new FlowSourceUnavailableError('Publishing by flow_id needs the flows service: set FLOWS_API_URL, or publish the flow inline with `content`');
  }
}

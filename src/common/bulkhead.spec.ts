import { Bulkhead } from './bulkhead';
import { ServiceUnavailableError } from './errors';

describe('Bulkhead', () => {
  it('runs at most `limit` at once, admits waiters in order, and refuses one that waited too long', async () => {
    const bulkhead = new Bulkhead(2, 200, 'database');
    const gates: (() => void)[] = [];
    const hold = () => bulkhead.run(() => new Promise<void>((resolve) => gates.push(resolve)));
    const first = hold();
    const second = hold();
    const third = hold();
    await new Promise((r) => setTimeout(r, 20));
    expect({ inFlight: bulkhead.inFlight, started: gates.length }).toEqual({ inFlight: 2, started: 2 });
    gates[0]!();
    await first;
    await new Promise((r) => setTimeout(r, 20));
    expect(gates.length).toBe(3); // the waiter got the freed slot
    const refused = bulkhead.run(async () => 'never');
    await expect(refused).rejects.toBeInstanceOf(ServiceUnavailableError);
    gates[1]!();
    gates[2]!();
    await Promise.all([second, third]);
    expect(bulkhead.inFlight).toBe(0);
    await expect(bulkhead.run(async () => 'ran')).resolves.toBe('ran');
  });
});

describe('Bulkhead.enter', () => {
  it('holds a slot until released, once however often the release is called, and refuses with its own error', async () => {
    const bulkhead = new Bulkhead(1, 100, () => new Error('busy'));
    const release = await bulkhead.enter();
    await expect(bulkhead.enter()).rejects.toThrow('busy');
    const waiter = bulkhead.enter();
    release();
    release(); // a second call must not free a slot the waiter now holds
    const releaseWaiter = await waiter;
    expect(bulkhead.inFlight).toBe(1);
    releaseWaiter();
    expect(bulkhead.inFlight).toBe(0);
  });
});

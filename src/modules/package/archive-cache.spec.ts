import { ArchiveCache } from './archive-cache';

describe('ArchiveCache', () => {
  const flow = (name: string) => ({ name, nodes: [{ id: 'start', type: 'start', config: { deep: { value: 1 } } }], edges: [] });

  it('gives back what it was given, frozen all the way down', () => {
    const cache = new ArchiveCache(1_000);
    cache.set('a', flow('A'), 100);
    const cached = cache.get('a') as { nodes: { config: { deep: { value: number } } }[] };
    expect(cached).toEqual(flow('A'));
    expect(Object.isFrozen(cached)).toBe(true);
    expect(Object.isFrozen(cached.nodes[0]!.config.deep)).toBe(true);
    expect(() => {
      'use strict';
      cached.nodes[0]!.config.deep.value = 2;
    }).toThrow(TypeError);
  });

  it('drops the least recently used archives once over its byte budget', () => {
    const cache = new ArchiveCache(300);
    cache.set('a', flow('A'), 100);
    cache.set('b', flow('B'), 100);
    cache.set('c', flow('C'), 100);
    expect(cache.get('a')).toBeDefined(); // now the most recently used
    cache.set('d', flow('D'), 100);
    expect(cache.get('b')).toBeUndefined();
    expect(['a', 'c', 'd'].map((key) => cache.get(key)?.name)).toEqual(['A', 'C', 'D']);
    expect(cache.size).toBe(3);
  });

  it('does not keep an archive larger than the whole budget, and keeps the first of two equal ones', () => {
    const cache = new ArchiveCache(300);
    expect(cache.set('big', flow('Big'), 301)).toEqual(flow('Big'));
    expect(cache.get('big')).toBeUndefined();
    cache.set('a', flow('A'), 100);
    cache.set('a', flow('A again'), 100);
    expect(cache.get('a')?.name).toBe('A');
    expect(cache.size).toBe(1);
  });
});

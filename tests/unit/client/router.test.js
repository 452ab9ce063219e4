import { describe, expect, it } from 'vitest';
import { parseRoute, watchPath } from '../../../apps/client/src/lib/router.js';

describe('routes', () => {
  it('maps /watch/<id> to the player and everything else to the gallery', () => {
    expect(parseRoute('/watch/3f2a-9c')).toEqual({ name: 'watch', id: '3f2a-9c' });
    expect(parseRoute('/watch/3f2a-9c/')).toEqual({ name: 'watch', id: '3f2a-9c' });
    expect(parseRoute('/')).toEqual({ name: 'gallery' });
    expect(parseRoute('/watch/')).toEqual({ name: 'gallery' });
    expect(parseRoute('/something/else')).toEqual({ name: 'gallery' });
  });

  it('builds a player path that round-trips an id', () => {
    expect(parseRoute(watchPath('a b/c'))).toEqual({ name: 'watch', id: 'a b/c' });
  });
});

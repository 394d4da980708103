import type { Logger } from '@whis/contracts';
import { silentLogger } from '@whis/contracts';
import { keptConnection, type SessionBus } from './dbus.js';

const MPRIS_PREFIX = 'org.mpris.MediaPlayer2.';
const MPRIS_PATH = '/org/mpris/MediaPlayer2';
const PLAYER = 'org.mpris.MediaPlayer2.Player';
const PROPERTIES = 'org.freedesktop.DBus.Properties';
// playerctld mirrors the active player: pausing it and the player itself would be one pause twice
const PROXIES = new Set(['org.mpris.MediaPlayer2.playerctld']);

/** What one `pause()` did: the players whis paused, until `resume()`. */
export interface PausedMedia {
  /** The MPRIS names whis paused. */
  readonly players: readonly string[];
  /** Plays again the players whis paused that the user has not touched since; returns their names. */
  resume(): Promise<string[]>;
}

/** Pauses the media players that are playing while the user dictates (MPRIS on the session bus). */
export interface MediaPauser {
  /** Pauses every player whose PlaybackStatus is Playing; a player that refuses or vanishes is skipped. */
  pause(): Promise<PausedMedia>;
  /** The MPRIS players on the bus now (for `whis doctor`). */
  players(): Promise<string[]>;
  close(): void;
}

interface Paused {
  name: string;
  /** The unique connection name: a player that quits and comes back is another one. */
  owner: string;
  /** The user played, paused or stopped it after whis paused it: it is left alone. */
  touched: boolean;
  /** The status last announced: players repeat it (mpv does on other property changes). */
  last: string;
  /** Status changes seen since whis's pause: the first to `Paused` is whis's own. */
  ownPauseSeen: boolean;
  dispose?: () => void;
}

/**
 * MPRIS players paused at the start of a dictation and resumed at its end. Exactly those whis
 * paused are resumed, and only if the user did not change them meanwhile: a PlaybackStatus change
 * other than whis's own pause marks the player as the user's, and its status is read again before
 * resuming. `connect` is called on the first pause (and again after the bus was lost).
 */
export function createMediaPauser(
  connect: () => Promise<SessionBus>,
  options: { logger?: Logger } = {},
): MediaPauser {
  const logger = options.logger ?? silentLogger;
  const bus = keptConnection(connect);
  const connected = () => bus.get();
  const status = async (b: SessionBus, name: string): Promise<string> => {
    const [value] = await b.call({
      destination: name,
      path: MPRIS_PATH,
      interface: PROPERTIES,
      member: 'Get',
      signature: 'ss',
      body: [PLAYER, 'PlaybackStatus'],
    });
    return (value as { value: string }).value;
  };
  const control = (b: SessionBus, name: string, member: 'Pause' | 'Play') =>
    b.call({ destination: name, path: MPRIS_PATH, interface: PLAYER, member });
  const owner = async (b: SessionBus, name: string): Promise<string | undefined> => {
    try {
      const [unique] = await b.call({
        destination: 'org.freedesktop.DBus',
        path: '/org/freedesktop/DBus',
        interface: 'org.freedesktop.DBus',
        member: 'GetNameOwner',
        signature: 's',
        body: [name],
      });
      return unique as string;
    } catch {
      return undefined;
    }
  };
  const players = async (b: SessionBus) =>
    (await b.listNames()).filter((n) => n.startsWith(MPRIS_PREFIX) && !PROXIES.has(n));

  const pauseOne = async (b: SessionBus, name: string, owners: Set<string>) => {
    const unique = await owner(b, name);
    // one player process may own several names (its own and an instance name)
    if (!unique || owners.has(unique)) return undefined;
    owners.add(unique);
    if ((await status(b, name)) !== 'Playing') return undefined;
    const paused: Paused = {
      name,
      owner: unique,
      touched: false,
      last: 'Playing',
      ownPauseSeen: false,
    };
    // watched before the pause, so that no change after it is missed
    paused.dispose = await b.onSignal(
      `type='signal',sender='${unique}',path='${MPRIS_PATH}',interface='${PROPERTIES}',member='PropertiesChanged',arg0='${PLAYER}'`,
      (message) => {
        const changed = message.body[1] as Record<string, { value: unknown }>;
        const playback = changed.PlaybackStatus?.value;
        if (playback === undefined || playback === paused.last) return;
        paused.last = playback as string;
        if (playback === 'Paused' && !paused.ownPauseSeen) paused.ownPauseSeen = true;
        else paused.touched = true;
      },
    );
    try {
      await control(b, name, 'Pause');
    } catch (err) {
      paused.dispose();
      throw err;
    }
    return paused;
  };

  return {
    async pause() {
      const b = await connected();
      const owners = new Set<string>();
      const results = await Promise.allSettled(
        (await players(b)).map((name) => pauseOne(b, name, owners)),
      );
      const paused: Paused[] = [];
      results.forEach((result) => {
        if (result.status === 'fulfilled') {
          if (result.value) paused.push(result.value);
        } else logger.debug({ err: result.reason }, 'a media player could not be paused');
      });
      if (paused.length > 0)
        logger.info({ players: paused.map((p) => p.name) }, 'media paused while recording');
      let resumed: Promise<string[]> | undefined;
      return {
        players: paused.map((p) => p.name),
        resume() {
          resumed ??= Promise.all(
            paused.map(async (p) => {
              try {
                // the user's own pause, play or stop while recording is theirs to keep; a player
                // that quit (or was replaced by another process under its name) is skipped
                if (p.touched || (await owner(b, p.name)) !== p.owner) return undefined;
                if ((await status(b, p.name)) !== 'Paused') return undefined;
                await control(b, p.name, 'Play');
                return p.name;
              } catch (err) {
                logger.debug({ err, player: p.name }, 'a media player could not be resumed');
                return undefined;
              } finally {
                p.dispose?.();
              }
            }),
          ).then((names) => names.filter((n): n is string => n !== undefined));
          return resumed;
        },
      };
    },
    async players() {
      return players(await connected());
    },
    close() {
      bus.drop();
    },
  };
}

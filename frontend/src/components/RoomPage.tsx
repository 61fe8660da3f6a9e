import { useEffect } from 'react';
import { useAppDispatch, useAppSelector } from '../store';
import { loadRoom, roomLeft } from '../store/roomSlice';
import { Logo } from './Logo';
import { ThemeToggle } from './ThemeToggle';
import { RoomWorkspace } from './RoomWorkspace';

interface Props {
  roomId: string;
  navigate(path: string): void;
}

/** Checks the room exists before connecting to it. */
export function RoomPage({ roomId, navigate }: Props) {
  const dispatch = useAppDispatch();
  const status = useAppSelector((s) => s.room.status);
  const error = useAppSelector((s) => s.room.error);

  useEffect(() => {
    const pending = dispatch(loadRoom(roomId));
    return () => {
      pending.abort();
      dispatch(roomLeft());
    };
  }, [roomId, dispatch]);

  const home = () => navigate('/');

  if (status === 'ready') return <RoomWorkspace roomId={roomId} goHome={home} />;

  return (
    <div className="start">
      <header className="topbar">
        <Logo onClick={home} />
        <div className="spacer" />
        <ThemeToggle />
      </header>
      <main className="start-main">
        {status === 'loading' || status === 'idle' ? (
          <p className="muted center" data-testid="room-loading">
            Opening room…
          </p>
        ) : (
          <div className="card notice" role="alert" data-testid="room-error">
            <h2>
              {status === 'notFound'
                ? 'Room not found'
                : status === 'invalid'
                  ? 'Invalid room id'
                  : status === 'denied'
                    ? 'Access denied'
                    : 'Something went wrong'}
            </h2>
            <p className="muted">
              {status === 'notFound'
                ? `There is no room “${roomId}”. Check the link, or create a new room.`
                : status === 'invalid'
                  ? 'Room ids are 6–64 letters, digits, "-" or "_".'
                  : status === 'denied'
                    ? `This room needs a valid access link (${error}).`
                    : error}
            </p>
            <button className="button primary" type="button" onClick={home}>
              Back to start
            </button>
          </div>
        )}
      </main>
    </div>
  );
}

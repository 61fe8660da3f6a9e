import { useState, type FormEvent } from 'react';
import { useAppDispatch, useAppSelector } from '../store';
import { createRoom } from '../store/roomSlice';
import { parseRoomInput, roomPath } from '../roomId';
import type { LanguageId } from '../languages';
import { LanguageSelect } from './LanguageSelect';
import { Logo } from './Logo';
import { ThemeToggle } from './ThemeToggle';

export function StartPage({ navigate }: { navigate(path: string): void }) {
  const dispatch = useAppDispatch();
  const { creating, createError } = useAppSelector((s) => s.room);
  const name = useAppSelector((s) => s.user.name);
  const [language, setLanguage] = useState<string>('python' satisfies LanguageId);
  const [joinInput, setJoinInput] = useState('');
  const [joinError, setJoinError] = useState<string | null>(null);

  const onCreate = async (e: FormEvent) => {
    e.preventDefault();
    const result = await dispatch(createRoom(language));
    if (createRoom.fulfilled.match(result)) navigate(roomPath(result.payload.roomId));
  };

  const onJoin = (e: FormEvent) => {
    e.preventDefault();
    const id = parseRoomInput(joinInput);
    if (!id) {
      setJoinError(
        joinInput.trim()
          ? 'That is not a room id or share link. Ids are 6–64 letters, digits, "-" or "_".'
          : 'Paste a room id or a share link.',
      );
      return;
    }
    setJoinError(null);
    navigate(roomPath(id));
  };

  return (
    <div className="start">
      <header className="topbar">
        <Logo />
        <div className="spacer" />
        <ThemeToggle />
      </header>
      <main className="start-main">
        <section className="hero">
          <h1>Code together, in real time.</h1>
          <p className="muted">
            Open a room, share the link, and edit the same file with live cursors. You are{' '}
            <strong>{name}</strong>.
          </p>
        </section>
        <div className="cards">
          <form className="card" onSubmit={onCreate} data-testid="create-form">
            <h2>Create a room</h2>
            <label htmlFor="create-language">Language</label>
            <LanguageSelect id="create-language" testId="create-language" value={language} onChange={setLanguage} />
            <button className="button primary" type="submit" disabled={creating} data-testid="create-room">
              {creating ? 'Creating…' : 'Create room'}
            </button>
            {createError && (
              <p className="error" role="alert">
                {createError}
              </p>
            )}
          </form>
          <form className="card" onSubmit={onJoin} data-testid="join-form">
            <h2>Join a room</h2>
            <label htmlFor="join-input">Room id or share link</label>
            <input
              id="join-input"
              className="input"
              data-testid="join-input"
              placeholder="e.g. aZ3kP9qLm2 or https://…/r/aZ3kP9qLm2"
              value={joinInput}
              autoComplete="off"
              spellCheck={false}
              onChange={(e) => {
                setJoinInput(e.target.value);
                setJoinError(null);
              }}
            />
            <button className="button" type="submit" data-testid="join-room">
              Join room
            </button>
            {joinError && (
              <p className="error" role="alert" data-testid="join-error">
                {joinError}
              </p>
            )}
          </form>
        </div>
      </main>
    </div>
  );
}

import { useEffect, useState, type FormEvent } from 'react';
import { useAppDispatch, useAppSelector } from '../store';
import { colorChanged, nameChanged } from '../store/userSlice';
import { COLORS, MAX_NAME_LENGTH } from '../identity';

export function NameEditor() {
  const dispatch = useAppDispatch();
  const { name, color } = useAppSelector((s) => s.user);
  const [draft, setDraft] = useState(name);
  useEffect(() => setDraft(name), [name]);

  const commit = (e?: FormEvent) => {
    e?.preventDefault();
    dispatch(nameChanged(draft));
    setDraft((d) => d.trim() || name);
  };

  return (
    <form className="name-editor" onSubmit={commit}>
      <label htmlFor="name-input">Your name</label>
      <input
        id="name-input"
        className="input"
        data-testid="name-input"
        value={draft}
        maxLength={MAX_NAME_LENGTH}
        onChange={(e) => setDraft(e.target.value)}
        onBlur={() => commit()}
      />
      <div className="swatches" role="radiogroup" aria-label="Your colour">
        {COLORS.map((c) => (
          <button
            key={c}
            type="button"
            role="radio"
            aria-checked={c === color}
            aria-label={`Colour ${c}`}
            className={`swatch ${c === color ? 'selected' : ''}`}
            style={{ background: c }}
            onClick={() => dispatch(colorChanged(c))}
          />
        ))}
      </div>
    </form>
  );
}

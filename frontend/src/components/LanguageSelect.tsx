import { LANGUAGES } from '../languages';

interface Props {
  value: string;
  onChange(language: string): void;
  id?: string;
  testId?: string;
  disabled?: boolean;
}

export function LanguageSelect({ value, onChange, id, testId, disabled }: Props) {
  return (
    <select
      id={id}
      className="select"
      data-testid={testId}
      value={value}
      disabled={disabled}
      aria-label="Language"
      onChange={(e) => onChange(e.target.value)}
    >
      {LANGUAGES.map((l) => (
        <option key={l.id} value={l.id}>
          {l.label}
        </option>
      ))}
    </select>
  );
}

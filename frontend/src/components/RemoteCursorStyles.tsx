import { useAppSelector } from '../store';
import type { Participant } from '../store/roomSlice';
import { lightColor } from '../identity';

/** A CSS string literal holding `text` safely (quotes, backslashes, newlines). */
export function cssString(text: string): string {
  return `"${text.replace(/[\\"]/g, '\\$&').replace(/[\n\r\f]/g, ' ')}"`;
}

/** Colours and name labels for y-monaco's per-client decoration classes. */
export function remoteCursorCss(participants: Participant[]): string {
  return participants
    .filter((p) => !p.isLocal)
    .map((p) => {
      const id = Math.trunc(p.clientId);
      return [
        `.yRemoteSelection-${id} { background-color: ${lightColor(p.color)}; }`,
        `.yRemoteSelectionHead-${id} { border-left: 2px solid ${p.color}; }`,
        `.yRemoteSelectionHead-${id}::after { content: ${cssString(p.name)}; background: ${p.color}; }`,
      ].join('\n');
    })
    .join('\n');
}

export function RemoteCursorStyles() {
  const participants = useAppSelector((s) => s.room.participants);
  return <style data-testid="remote-cursor-styles">{remoteCursorCss(participants)}</style>;
}

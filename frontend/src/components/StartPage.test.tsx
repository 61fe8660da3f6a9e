import { fireEvent, render, screen, waitFor } from '@testing-library/react';
import { Provider } from 'react-redux';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { makeStore } from '../store';
import { StartPage } from './StartPage';

afterEach(() => vi.unstubAllGlobals());

function setup() {
  const navigate = vi.fn();
  const view = render(
    <Provider store={makeStore()}>
      <StartPage navigate={navigate} />
    </Provider>,
  );
  return { navigate, view };
}

describe('StartPage', () => {
  it('joins by share link and refuses garbage', () => {
    const { navigate, view } = setup();
    const input = screen.getByTestId('join-input');
    fireEvent.change(input, { target: { value: 'not a room!' } });
    fireEvent.click(screen.getByTestId('join-room'));
    expect(screen.getByTestId('join-error').textContent).toMatch(/not a room id/);
    expect(navigate).not.toHaveBeenCalled();
    fireEvent.change(input, { target: { value: 'https://pair.example.com/r/aZ3kP9qLm2' } });
    fireEvent.click(screen.getByTestId('join-room'));
    expect(navigate).toHaveBeenCalledWith('/r/aZ3kP9qLm2');
    view.unmount();
  });

  it('creates a room in the chosen language and opens it', async () => {
    const fetch = vi.fn(async () => Response.json({ roomId: 'newRoom01', created_at: '', language: 'go', code: '' }, { status: 201 }));
    vi.stubGlobal('fetch', fetch);
    const { navigate } = setup();
    fireEvent.change(screen.getByTestId('create-language'), { target: { value: 'go' } });
    fireEvent.click(screen.getByTestId('create-room'));
    await waitFor(() => expect(navigate).toHaveBeenCalledWith('/r/newRoom01'));
    const [url, init] = fetch.mock.calls[0] as unknown as [string, RequestInit];
    expect(url).toBe('/api/rooms');
    expect(JSON.parse(init.body as string)).toEqual({ language: 'go' });
  });
});

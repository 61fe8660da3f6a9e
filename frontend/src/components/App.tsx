import { useEffect } from 'react';
import { useAppSelector } from '../store';
import { useRoute } from '../hooks/useRoute';
import { StartPage } from './StartPage';
import { RoomPage } from './RoomPage';

export function App() {
  const [route, navigate] = useRoute();
  const theme = useAppSelector((s) => s.user.theme);

  useEffect(() => {
    document.documentElement.dataset.theme = theme;
    document.documentElement.style.colorScheme = theme;
  }, [theme]);

  return route.name === 'room' ? (
    <RoomPage key={route.roomId} roomId={route.roomId} navigate={navigate} />
  ) : (
    <StartPage navigate={navigate} />
  );
}

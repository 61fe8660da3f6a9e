export function Logo({ onClick }: { onClick?: () => void }) {
  return (
    <a
      className="logo"
      href="/"
      onClick={(e) => {
        if (!onClick) return;
        e.preventDefault();
        onClick();
      }}
    >
      <span className="logo-mark" aria-hidden="true">
        {'</>'}
      </span>
      pairprog
    </a>
  );
}

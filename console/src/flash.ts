// A message for the next page to show once ("Deleted ada@example.com."): set before navigating,
// taken (and so cleared) by the page that opens.
let pending: string | null = null;

export function setFlash(message: string): void {
  pending = message;
}

export function takeFlash(): string | null {
  const message = pending;
  pending = null;
  return message;
}

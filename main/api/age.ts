// Ages for people, the same words on screen and in main's reasons (an access decision's "cached 3 h 5 min before"):
// pure, so the renderer imports it from the contract and main uses it in the text it sends.

/** An age for a person: "40 s", "12 min", "3 h 5 min", "2 days 4 h" (the age of a cached verdict, say). */
export function formatAge(seconds: number): string {
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours} h ${minutes % 60} min`;
  return `${Math.floor(hours / 24)} days ${hours % 24} h`;
}

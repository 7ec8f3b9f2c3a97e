// Whether a process id still names a running process, for leases and pid files that outlive a killed owner.

/** True while `pid` names a process, including one of another user (EPERM: it exists, we may not signal it). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

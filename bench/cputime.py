"""Runs a command (stdin/stdout/stderr inherited) and writes its CPU time
and peak RSS to a file as "user_seconds sys_seconds maxrss_kib
started_epoch", from the kernel's rusage of that one process (wait4), to the
microsecond; started_epoch is the wall clock just before the command was
started, so that a bench can time the command without this interpreter's own
start (90 ms through a pyenv shim, more than the work timed).
Usage: cputime.py OUTFILE COMMAND [ARGS...]; exits with the command's status."""
import os
import sys
import time

out, argv = sys.argv[1], sys.argv[2:]
started = time.time()
pid = os.fork()
if pid == 0:
    try:
        os.execvp(argv[0], argv)
    finally:
        os._exit(127)
_, status, usage = os.wait4(pid, 0)
with open(out, 'w') as f:
    f.write(f'{usage.ru_utime:.6f} {usage.ru_stime:.6f} {usage.ru_maxrss} {started:.6f}\n')
sys.exit(os.waitstatus_to_exitcode(status) & 0xFF)

"""Runs a command (stdin/stdout/stderr inherited) and writes its CPU time
and peak RSS to a file as "user_seconds sys_seconds maxrss_kib", from the
kernel's rusage of that one process (wait4), to the microsecond.
Usage: cputime.py OUTFILE COMMAND [ARGS...]; exits with the command's status."""
import os
import sys

out, argv = sys.argv[1], sys.argv[2:]
pid = os.fork()
if pid == 0:
    try:
        os.execvp(argv[0], argv)
    finally:
        os._exit(127)
_, status, usage = os.wait4(pid, 0)
with open(out, 'w') as f:
    f.write(f'{usage.ru_utime:.6f} {usage.ru_stime:.6f} {usage.ru_maxrss}\n')
sys.exit(os.waitstatus_to_exitcode(status) & 0xFF)

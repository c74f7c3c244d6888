#!/usr/bin/python3
"""fcgi-pool.py - a fixed pool of FastCGI processes on one unix socket.

usage: fcgi-pool.py SOCKET COUNT USER BINARY [NAME=VALUE...]

What `BENCH_PROXY=N bench/run.sh` runs the application with behind
mod_proxy_fcgi, standing in for the systemd socket unit that
apache-conf/proxy-fcgi.conf describes: one listening socket (backlog 1024,
as systemd's default is large too) shared by COUNT copies of BINARY, each
started with the socket as fd 0 (the FastCGI convention libfcgi expects),
as USER, with exactly the NAME=VALUE environment given. The processes
accept in turn from the one socket, so a request waits in the kernel's
queue until a process is free: no spawning, no one-second sleeps.

The application's stderr (its log) is this program's stderr. It prints
the pids, one a line, and returns; the processes stay (stopping
them is the caller's business: bench/run.sh's teardown, through
scripts/stack.sh down, which ends every process of the instance).
"""
import os
import pwd
import socket
import sys


def main():
    if len(sys.argv) < 5:
        sys.stderr.write(__doc__)
        return 64
    path, count, user, binary = sys.argv[1], int(sys.argv[2]), sys.argv[3], \
        sys.argv[4]
    env = dict(kv.split("=", 1) for kv in sys.argv[5:])
    pw = pwd.getpwnam(user)
    if os.path.exists(path):
        os.unlink(path)
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(path)
    os.chown(path, pw.pw_uid, pw.pw_gid)
    os.chmod(path, 0o600)
    s.listen(1024)
    for _ in range(count):
        pid = os.fork()
        if pid == 0:
            try:
                os.setsid()
                os.dup2(s.fileno(), 0)
                devnull = os.open(os.devnull, os.O_WRONLY)
                os.dup2(devnull, 1)
                os.setgid(pw.pw_gid)
                os.initgroups(user, pw.pw_gid)
                os.setuid(pw.pw_uid)
                os.execve(binary, [binary], env)
            finally:
                os._exit(127)
        print(pid)
    return 0


if __name__ == "__main__":
    sys.exit(main())

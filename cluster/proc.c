/* proc.c: fork/exec with a pipe on stdout. */
#include "cluster/proc.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

int wn_proc_capture(char *const argv[], wn_buf *out, int quiet_stderr)
{
    int fd[2];
    if (pipe(fd)) return 127;
    pid_t pid = fork();
    if (pid < 0) {
        close(fd[0]);
        close(fd[1]);
        return 127;
    }
    if (pid == 0) {
        dup2(fd[1], 1);
        close(fd[0]);
        close(fd[1]);
        if (quiet_stderr) {
            int null = open("/dev/null", O_WRONLY);
            if (null >= 0) dup2(null, 2);
        }
        execvp(argv[0], argv);
        _exit(127);
    }
    close(fd[1]);
    char chunk[4096];
    for (;;) {
        ssize_t n = read(fd[0], chunk, sizeof chunk);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        wn_buf_append(out, chunk, (size_t)n);
    }
    close(fd[0]);
    int st;
    while (waitpid(pid, &st, 0) < 0)
        if (errno != EINTR) return 127;
    if (WIFEXITED(st)) return WEXITSTATUS(st);
    return 128 + WTERMSIG(st);
}

int wn_squeue_mine(wn_buf *out)
{
    /* %F = array job id, %K = array index, %T = state; -r lists array tasks one per line.
     * A plain job has %K "N/A". --user rather than --me: Slurm before 20.11 lacks it. */
    char user[32];
    snprintf(user, sizeof user, "--user=%u", (unsigned)getuid()); /* names or uids */
    char *argv[] = {"squeue", user, "-h", "-r", "-o", "%F_%K %T", NULL};
    return wn_proc_capture(argv, out, 1) == 0 ? 0 : -1;
}

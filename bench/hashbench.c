/*
 * hashbench.c - raw password-hash verifies per second on every core.
 *
 * The ceiling for logins (docs/performance.md): a login costs one verify of
 * the user's stored crypt(3) hash, so no login path can beat this number.
 * It runs the same libxcrypt call the server does (crypt_rn, as
 * src/core/password.c), against a hash of the configured scheme and cost,
 * in one thread per core, for a fixed time.
 *
 * usage: hashbench SECONDS [THREADS]
 *   stdin: line 1 the password, line 2 its stored hash (so neither is on
 *   the command line). THREADS defaults to the number of online CPUs.
 * stdout, one line:
 *   hashbench threads=N seconds=S verifies=V per_second=R ms_per_verify=M
 * Exit 1 when the hash does not verify the password (a wrong setup would
 * otherwise measure the cost of a mismatch, which is the same work but
 * proves nothing about the instance).
 *
 * Built by bench/run.sh: cc -O2 -pthread bench/hashbench.c -lcrypt
 */
#define _GNU_SOURCE
#include <crypt.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_THREADS 256

static char password[CRYPT_MAX_PASSPHRASE_SIZE];
static char hash[CRYPT_OUTPUT_SIZE];
static double seconds;
static volatile int go;

struct worker {
	pthread_t tid;
	unsigned long long verifies;
	int mismatch;
};

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void *
run(void *arg)
{
	struct worker *w = arg;
	struct crypt_data *cd;
	const char *h;
	double end;

	if ((cd = calloc(1, sizeof(*cd))) == NULL)
		return NULL;
	while (!go)
		;
	end = now_s() + seconds;
	do {
		h = crypt_rn(password, hash, cd, (int)sizeof(*cd));
		if (h == NULL || strcmp(h, hash) != 0)
			w->mismatch = 1;
		w->verifies++;
	} while (now_s() < end);
	free(cd);
	return NULL;
}

/* One line of stdin without its newline: 0, or -1. */
static int
read_line(char *buf, size_t size)
{
	size_t n;

	if (fgets(buf, (int)size, stdin) == NULL)
		return -1;
	n = strcspn(buf, "\r\n");
	if (buf[n] == '\0' && n == size - 1)
		return -1; /* too long */
	buf[n] = '\0';
	return 0;
}

static long
parse_pos(const char *s, long max)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < 1 || v > max)
		return -1;
	return v;
}

int
main(int argc, char **argv)
{
	static struct worker w[MAX_THREADS];
	unsigned long long total = 0;
	long nthreads, secs, i;
	double t0, elapsed;
	int mismatch = 0;

	if (argc < 2 || argc > 3 || (secs = parse_pos(argv[1], 3600)) == -1) {
		fprintf(stderr, "usage: hashbench SECONDS [THREADS] "
		    "< password-and-hash\n");
		return 64;
	}
	nthreads = argc == 3 ? parse_pos(argv[2], MAX_THREADS) :
	    sysconf(_SC_NPROCESSORS_ONLN);
	if (nthreads < 1 || nthreads > MAX_THREADS) {
		fprintf(stderr, "hashbench: bad thread count\n");
		return 64;
	}
	if (read_line(password, sizeof(password)) == -1 ||
	    read_line(hash, sizeof(hash)) == -1 || hash[0] == '\0') {
		fprintf(stderr, "hashbench: stdin must hold the password and "
		    "the hash, one a line\n");
		return 64;
	}
	seconds = (double)secs;
	for (i = 0; i < nthreads; i++)
		if (pthread_create(&w[i].tid, NULL, run, &w[i]) != 0) {
			fprintf(stderr, "hashbench: pthread_create failed\n");
			return 1;
		}
	t0 = now_s();
	go = 1;
	for (i = 0; i < nthreads; i++) {
		pthread_join(w[i].tid, NULL);
		total += w[i].verifies;
		mismatch |= w[i].mismatch;
	}
	elapsed = now_s() - t0;
	if (mismatch) {
		fprintf(stderr, "hashbench: the hash does not verify the "
		    "password\n");
		return 1;
	}
	printf("hashbench threads=%ld seconds=%.2f verifies=%llu "
	    "per_second=%.1f ms_per_verify=%.2f\n", nthreads, elapsed, total,
	    (double)total / elapsed, elapsed * 1000.0 * (double)nthreads /
	    (double)total);
	return 0;
}

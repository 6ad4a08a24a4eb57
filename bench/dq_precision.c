/*
 * dq_precision: how late does the delay queue fire? Parks n items the way
 * requests arrive (spread over a window, each with deadline = arrival +
 * delay), records fire time - deadline for each, and prints percentiles of
 * that lateness plus the process's threads and RSS while everything is
 * parked.
 *
 *   dq_precision [-n items] [-d delay] [-s spread] [-w workers]
 *   defaults:     -n 10000   -d 200ms   -s 100ms   -w 2
 *
 * Output: one key=value line (stable, for scripts), then a line for people.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "delay_queue.h"
#include "duration.h"
#include "mono_cond.h"
#include "clock.h"
#include "procfs.h"

struct bench;

struct bitem {
	struct dq_item item;	/* first */
	struct bench *b;
	uint64_t deadline;
	uint64_t fired;
};

struct bench {
	unsigned long n;
	uint64_t delay, spread;
	unsigned workers;

	struct bitem *items;
	atomic_ulong fired;
	pthread_mutex_t lock;
	pthread_cond_t done;	/* CLOCK_MONOTONIC */
};


static struct timespec ns_ts(uint64_t ns)
{
	return (struct timespec){ .tv_sec = (time_t)(ns / 1000000000ull),
				  .tv_nsec = (long)(ns % 1000000000ull) };
}

static void fire(struct dq_item *item, enum dq_reason why)
{
	struct bitem *it = (struct bitem *)item;
	struct bench *b = it->b;

	(void)why;
	it->fired = lag_now_ns();
	if (atomic_fetch_add(&b->fired, 1) + 1 == b->n) {
		pthread_mutex_lock(&b->lock);
		pthread_cond_signal(&b->done);
		pthread_mutex_unlock(&b->lock);
	}
}

static void usage(const char *argv0)
{
	fprintf(stderr,
		"usage: %s [-n items] [-d delay] [-s spread] [-w workers]\n"
		"  delays take a unit: 200ms, 1s, 500us\n", argv0);
	exit(2);
}

static uint64_t parse_dur(const char *arg, const char *opt)
{
	const char *why;
	uint64_t ns;

	if (duration_parse(arg, &ns, &why) != 0 || ns == DURATION_INF) {
		fprintf(stderr, "dq_precision: %s %s: %s\n", opt, arg,
			ns == DURATION_INF ? "must be finite" : why);
		exit(2);
	}
	return ns;
}

static unsigned long parse_count(const char *arg, const char *argv0)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(arg, &end, 10);
	if (errno || *end || end == arg || v == 0)
		usage(argv0);
	return v;
}

static void parse_args(struct bench *b, int argc, char **argv)
{
	int c;

	b->n = 10000;
	b->delay = 200 * 1000000ull;
	b->spread = 100 * 1000000ull;
	b->workers = 2;
	while ((c = getopt(argc, argv, "n:d:s:w:h")) != -1) {
		switch (c) {
		case 'n':
			b->n = parse_count(optarg, argv[0]);
			break;
		case 'd':
			b->delay = parse_dur(optarg, "-d");
			break;
		case 's':
			b->spread = parse_dur(optarg, "-s");
			break;
		case 'w':
			b->workers = (unsigned)parse_count(optarg, argv[0]);
			break;
		default:
			usage(argv[0]);
		}
	}
	if (optind != argc)
		usage(argv[0]);
}

/* Item i arrives at start + i * spread / n; park each once its time came,
 * sleeping between arrivals (bursts, like real requests). */
static int park_all(struct bench *b, struct delay_queue *q)
{
	uint64_t start = lag_now_ns();
	unsigned long i = 0;

	while (i < b->n) {
		uint64_t arrive = start + (uint64_t)((double)b->spread * i / b->n);
		uint64_t now = lag_now_ns();
		struct bitem *it = &b->items[i];

		if (now < arrive) {
			struct timespec ts = ns_ts(arrive);

			clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts,
					NULL);
			continue;
		}
		it->deadline = now + b->delay;
		if (dq_park(q, &it->item, it->deadline) != 0) {
			perror("dq_park");
			return -1;
		}
		i++;
	}
	return 0;
}

static int wait_all(struct bench *b)
{
	uint64_t end = lag_now_ns() + b->delay + b->spread + 30 * 1000000000ull;
	int rc = 0;

	pthread_mutex_lock(&b->lock);
	while (atomic_load(&b->fired) < b->n && rc == 0)
		rc = mono_cond_wait_until(&b->done, &b->lock, end);
	pthread_mutex_unlock(&b->lock);
	return atomic_load(&b->fired) == b->n ? 0 : -1;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

/* Nearest-rank percentile of a sorted array. */
static double pct_us(const int64_t *v, unsigned long n, double p)
{
	unsigned long rank = (unsigned long)(p / 100.0 * n + 0.999999);

	if (rank < 1)
		rank = 1;
	return (double)v[rank - 1] / 1000.0;
}

static void report(struct bench *b, const struct proc_status *ps,
		   size_t parked)
{
	int64_t *late = malloc(b->n * sizeof(*late));
	unsigned long i, early = 0;
	double p50, p99, max;

	if (!late) {
		perror("malloc");
		exit(1);
	}
	for (i = 0; i < b->n; i++) {
		late[i] = (int64_t)(b->items[i].fired - b->items[i].deadline);
		early += late[i] < 0;
	}
	qsort(late, b->n, sizeof(*late), cmp_i64);
	p50 = pct_us(late, b->n, 50);
	p99 = pct_us(late, b->n, 99);
	max = (double)late[b->n - 1] / 1000.0;
	printf("dq_precision n=%lu workers=%u delay_us=%" PRIu64
	       " spread_us=%" PRIu64 " p50_us=%.1f p99_us=%.1f max_us=%.1f"
	       " early=%lu parked=%zu threads=%ld vmrss_kb=%ld\n",
	       b->n, b->workers, b->delay / 1000, b->spread / 1000, p50, p99,
	       max, early, parked, ps->threads, ps->vmrss_kb);
	printf("%lu items, delay %.1f ms, arrivals over %.1f ms: lateness "
	       "p50 %.1f us, p99 %.1f us, max %.1f us; %ld threads "
	       "(main + %u workers) with %zu parked; RSS %.1f MiB\n",
	       b->n, b->delay / 1e6, b->spread / 1e6, p50, p99, max,
	       ps->threads, b->workers, parked, ps->vmrss_kb / 1024.0);
	free(late);
}

int main(int argc, char **argv)
{
	struct bench b = { 0 };
	struct delay_queue *q;
	struct proc_status ps;
	size_t parked;
	unsigned long i;

	parse_args(&b, argc, argv);
	pthread_mutex_init(&b.lock, NULL);
	mono_cond_init(&b.done);
	b.items = calloc(b.n, sizeof(*b.items));
	if (!b.items) {
		perror("calloc");
		return 1;
	}
	for (i = 0; i < b.n; i++) {
		b.items[i].item.fire = fire;
		b.items[i].b = &b;
	}
	q = dq_create(b.workers);
	if (!q) {
		perror("dq_create");
		return 1;
	}
	if (park_all(&b, q) != 0)
		return 1;
	/* Sampled while (nearly) everything is still parked: the first
	 * deadline is `delay` after the first arrival. */
	parked = dq_parked(q);
	proc_status_read(getpid(), &ps);
	if (wait_all(&b) != 0) {
		fprintf(stderr, "dq_precision: only %lu of %lu fired\n",
			atomic_load(&b.fired), b.n);
		return 1;
	}
	dq_destroy(q);
	report(&b, &ps, parked);
	free(b.items);
	pthread_cond_destroy(&b.done);
	pthread_mutex_destroy(&b.lock);
	return 0;
}

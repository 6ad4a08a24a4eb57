/*
 * parked_reads: end-to-end cost of many parked requests in a running lagfs.
 * Submits N concurrent 4 KiB O_DIRECT io_uring reads through a lagfs mount
 * that has a read delay rule, measures lagfs's threads and resident memory
 * while they are parked, waits for every completion, then pairs each read's
 * "park" event with its completion event in the event log and reports how
 * late the replies left: lateness = reply time - deadline, where lagfs's
 * deadline is the moment it took the request plus the planned delay. The
 * completion event says both: it is logged just as lagfs answers, and its
 * delay_ns counts from that same moment, so lateness = completion delay_ns
 * - the park event's planned delay_ns.
 *
 *   parked_reads [-n N] [-d DELAY_MS] [-j JITTER_MS] [-f FILES] MOUNTDIR
 *                BACKINGDIR LOGFILE LAGFS_PID
 *   defaults:     -n 10000  -d 200  -j 0  -f 100
 *
 * JITTER_MS is the mount's rule's jitter= (the deadlines then spread over
 * it). LOGFILE "-" is the plain mode, for any FUSE daemon (LAGFS_PID is
 * its pid) without delays: the same N reads at once, and one line
 * "parked_reads_plain n=N wall_ms=W rate_per_s=R daemon_cpu_ms=C", R the
 * reads answered per second from the first submission to the last
 * completion.
 *
 * The files (parked-NNNNN.dat) are created in BACKINGDIR directly, so
 * lagfs's page cache plays no part; they are opened through MOUNTDIR with
 * O_DIRECT. With FUSE_CAP_ASYNC_DIO (libfuse's default) and lagfs mounted
 * with -o max_background above N, every read reaches lagfs at once as a
 * background request. DELAY_MS is what the mount's rule should plan; it sets
 * the timeouts, and a park event planning another delay is reported.
 *
 * Output: one key=value line (stable, for scripts), then a line for people.
 * Times are in us unless the key says otherwise; -1 means not measured.
 *   p50_us p99_us max_us  lateness as above, over the paired reads
 *   early                 pairs answered before their deadline (a bug)
 *   p99_parklog_us        p99 of completion t_ns - (park t_ns + planned
 *                         delay_ns): the same against when the park event
 *                         was logged, a little (on a busy machine, a lot)
 *                         after lagfs took the request, so it reads lower
 *   parked_max            most reads parked at once, from the log
 *   threads vmrss_kb      maxima of /proc/PID/status from the submission
 *                         until the first completion (intake included)
 *   threads_at_n vmrss_kb_at_n  the sample when the log had N park events
 *   threads_run_max       maximum over the whole run; vmhwm_kb: VmHWM
 *   submit_us             how long io_uring_submit took for all N
 *   park_span_us          first to last park event
 *   all_parked_us         submission to the sample that saw N parks
 *   serve_span_us         first deadline to last completion event
 *   wall_ms               submission to the last completion reaped
 *   lagfs_cpu_ms self_cpu_ms  CPU time of lagfs and of this program from
 *                         the submission to the last completion
 *   defer_taskrun         1 if the rings run completions only when this
 *                         program waits (see init_ring)
 *   answer_rate_per_s     pairs answered per second from the first
 *                         deadline to the last completion event
 * Exit status 1 if a read failed or fewer than N park/completion pairs were
 * found in the log, 2 for bad usage.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <liburing.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lag_event.h"
#include "procfs.h"

#define BLOCK 4096u
#define RING_MAX 32768u		/* IORING_MAX_ENTRIES */
#define FILE_PREFIX "parked-"
#define POLL_MS 2		/* /proc and log sampling while parked */
#define RUN_POLL_MS 10		/* /proc sampling while replies flow */
#define WAIT_LIMIT_S 30		/* for the completions, after the delay */

struct opts {
	unsigned long n, files;
	uint64_t delay_ns, jitter_ns;
	const char *mnt, *back, *log;
	long pid;
};

/* One park or completion event of one of our reads. */
struct rec {
	uint64_t unique;
	uint64_t t_ns;
	int64_t delay_ns;
	int64_t result;
	bool how_delay;		/* completion: how == "delay" */
};

struct recs {
	struct rec *v;
	size_t n, cap;
};

/* Follows the event log as lagfs appends to it. */
struct log_tail {
	int fd;
	char *buf;
	size_t len, cap;
	struct lag_event *ev;
	uint64_t since_ns;	/* ignore events before this (an older run) */
	uint64_t jitter_ns;	/* a park plans delay_ns + [0, jitter_ns] */
	struct recs parks, dones;
	unsigned long bad_lines, other_delay, not_delay, bad_result;
	int64_t other_delay_ns;
};

__attribute__((noreturn))
static void usage(const char *argv0)
{
	fprintf(stderr,
		"usage: %s [-n N] [-d DELAY_MS] [-j JITTER_MS] [-f FILES] "
		"MOUNTDIR BACKINGDIR LOGFILE|- PID\n"
		"  N reads (default 10000) over FILES files (default 100); "
		"DELAY_MS (default 200)\n"
		"  and JITTER_MS (default 0) are what the mount's read rule "
		"plans; LOGFILE -: any\n"
		"  FUSE daemon, no delays, only the rate\n", argv0);
	exit(2);
}

static unsigned long parse_count(const char *arg, const char *argv0)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(arg, &end, 10);
	if (errno || *end || end == arg || v == 0 || arg[0] == '-')
		usage(argv0);
	return v;
}

static void parse_args(struct opts *o, int argc, char **argv)
{
	int c;

	o->n = 10000;
	o->files = 100;
	o->delay_ns = 200 * 1000000ull;
	o->jitter_ns = 0;
	while ((c = getopt(argc, argv, "n:d:j:f:h")) != -1) {
		switch (c) {
		case 'n':
			o->n = parse_count(optarg, argv[0]);
			break;
		case 'd':
			o->delay_ns = parse_count(optarg, argv[0]) * 1000000ull;
			break;
		case 'j':
			o->jitter_ns = parse_count(optarg, argv[0]) * 1000000ull;
			break;
		case 'f':
			o->files = parse_count(optarg, argv[0]);
			break;
		default:
			usage(argv[0]);
		}
	}
	if (argc - optind != 4)
		usage(argv[0]);
	o->mnt = argv[optind];
	o->back = argv[optind + 1];
	o->log = argv[optind + 2];
	o->pid = (long)parse_count(argv[optind + 3], argv[0]);
	if (o->files > o->n)
		o->files = o->n;
}

static void *xmalloc(size_t n)
{
	void *p = malloc(n);

	if (!p) {
		perror("parked_reads: malloc");
		exit(1);
	}
	return p;
}

/* --- /proc/PID/status ---------------------------------------------------- */

/* CPU time (user + system) of the whole process so far, in ms. */
static double proc_cpu_ms(long pid)
{
	struct proc_stat ps;

	return proc_stat_read((pid_t)pid, &ps) < 0 ? -1 : ps.cpu_us / 1e3;
}

static double self_cpu_ms(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e3 +
	       (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e3;
}

static void sample_max(struct proc_status *max, const struct proc_status *s)
{
	if (s->threads > max->threads)
		max->threads = s->threads;
	if (s->vmrss_kb > max->vmrss_kb)
		max->vmrss_kb = s->vmrss_kb;
	if (s->vmhwm_kb > max->vmhwm_kb)
		max->vmhwm_kb = s->vmhwm_kb;
}

/* --- the event log --------------------------------------------------------- */

static void recs_add(struct recs *r, const struct rec *x)
{
	if (r->n == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 1024;
		struct rec *v = realloc(r->v, cap * sizeof(*v));

		if (!v) {
			perror("parked_reads: realloc");
			exit(1);
		}
		r->v = v;
		r->cap = cap;
	}
	r->v[r->n++] = *x;
}

static bool ours(const struct lag_event *e)
{
	return !strncmp(e->path, "/" FILE_PREFIX, strlen("/" FILE_PREFIX));
}

static void take_event(struct log_tail *lt, const struct lag_event *e,
		       uint64_t want_delay_ns)
{
	struct rec r = { .unique = e->unique, .t_ns = e->t_ns,
			 .delay_ns = e->delay_ns, .result = e->result };

	if (e->t_ns < lt->since_ns || !ours(e))
		return;
	if (e->kind == LAG_EV_PARK && !strcmp(e->op, "read")) {
		if (e->delay_ns < (int64_t)want_delay_ns ||
		    e->delay_ns > (int64_t)(want_delay_ns + lt->jitter_ns)) {
			lt->other_delay++;
			lt->other_delay_ns = e->delay_ns;
		}
		recs_add(&lt->parks, &r);
	} else if (e->kind == LAG_EV_ANSWER && !strcmp(e->op, "read")) {
		r.how_delay = !strcmp(e->how, "delay");
		lt->not_delay += !r.how_delay;
		lt->bad_result += e->result != 0;
		recs_add(&lt->dones, &r);
	}
}

static int log_open(struct log_tail *lt, const char *path, uint64_t since)
{
	memset(lt, 0, sizeof(*lt));
	lt->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (lt->fd < 0) {
		fprintf(stderr, "parked_reads: %s: %s\n", path,
			strerror(errno));
		return -1;
	}
	lt->cap = 1 << 20;
	lt->buf = xmalloc(lt->cap);
	lt->ev = xmalloc(sizeof(*lt->ev));
	lt->since_ns = since;
	return 0;
}

/* Read what was appended since the last call and take its complete lines. */
static void log_poll(struct log_tail *lt, uint64_t want_delay_ns)
{
	char err[256];

	for (;;) {
		ssize_t got;
		size_t start = 0;
		char *nl;

		if (lt->cap - lt->len < 65536) {
			char *b = realloc(lt->buf, lt->cap * 2);

			if (!b) {
				perror("parked_reads: realloc");
				exit(1);
			}
			lt->buf = b;
			lt->cap *= 2;
		}
		got = read(lt->fd, lt->buf + lt->len, lt->cap - lt->len);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			return;
		lt->len += (size_t)got;
		while ((nl = memchr(lt->buf + start, '\n', lt->len - start))) {
			size_t len = (size_t)(nl - (lt->buf + start));

			if (lag_event_parse(lt->buf + start, len, lt->ev, err,
					    sizeof(err)) == 0)
				take_event(lt, lt->ev, want_delay_ns);
			else if (lt->bad_lines++ == 0)
				fprintf(stderr, "parked_reads: log line not "
					"understood: %s\n", err);
			start += len + 1;
		}
		memmove(lt->buf, lt->buf + start, lt->len - start);
		lt->len -= start;
	}
}

static void log_close(struct log_tail *lt)
{
	close(lt->fd);
	free(lt->buf);
	free(lt->ev);
	free(lt->parks.v);
	free(lt->dones.v);
}

/* --- files ----------------------------------------------------------------- */

/* File i holds blocks_per_file blocks; each block starts with its stamp. */
static void stamp(char *blk, unsigned long file, unsigned long block)
{
	memset(blk, 0, 64);
	snprintf(blk, 64, "parked_reads file %lu block %lu", file, block);
}

static int make_files(const struct opts *o, unsigned long bpf, int *fds)
{
	char *blk = NULL, path[4096];
	size_t bytes = (size_t)bpf * BLOCK;

	if (posix_memalign((void **)&blk, BLOCK, bytes)) {
		perror("parked_reads: posix_memalign");
		return -1;
	}
	memset(blk, 0xa5, bytes);
	for (unsigned long i = 0; i < o->files; i++) {
		int fd;
		ssize_t w;

		for (unsigned long b = 0; b < bpf; b++)
			stamp(blk + b * BLOCK, i, b);
		snprintf(path, sizeof(path), "%s/" FILE_PREFIX "%05lu.dat",
			 o->back, i);
		fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (fd < 0) {
			fprintf(stderr, "parked_reads: %s: %s\n", path,
				strerror(errno));
			free(blk);
			return -1;
		}
		w = write(fd, blk, bytes);
		if (w != (ssize_t)bytes) {
			fprintf(stderr, "parked_reads: write %s: %s\n", path,
				w < 0 ? strerror(errno) : "short write");
			close(fd);
			free(blk);
			return -1;
		}
		close(fd);
	}
	free(blk);
	for (unsigned long i = 0; i < o->files; i++) {
		snprintf(path, sizeof(path), "%s/" FILE_PREFIX "%05lu.dat",
			 o->mnt, i);
		fds[i] = open(path, O_RDONLY | O_DIRECT | O_CLOEXEC);
		if (fds[i] < 0) {
			fprintf(stderr, "parked_reads: open %s with O_DIRECT: "
				"%s\n", path, strerror(errno));
			while (i--)
				close(fds[i]);
			return -1;
		}
	}
	return 0;
}

static void remove_files(const struct opts *o, const int *fds)
{
	char path[4096];

	for (unsigned long i = 0; i < o->files; i++) {
		if (fds[i] >= 0)
			close(fds[i]);
		snprintf(path, sizeof(path), "%s/" FILE_PREFIX "%05lu.dat",
			 o->back, i);
		unlink(path);
	}
}

static void raise_nofile(unsigned long need)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < need + 64) {
		rl.rlim_cur = need + 64 < rl.rlim_max ? need + 64 : rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

/* --- results --------------------------------------------------------------- */

static int cmp_unique(const void *a, const void *b)
{
	const struct rec *x = a, *y = b;

	if (x->unique != y->unique)
		return (x->unique > y->unique) - (x->unique < y->unique);
	return (x->t_ns > y->t_ns) - (x->t_ns < y->t_ns);
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

/* Nearest-rank percentile of a sorted array, in microseconds. */
static double pct_us(const int64_t *v, size_t n, double p)
{
	size_t rank = (size_t)(p / 100.0 * (double)n + 0.999999);

	if (rank < 1)
		rank = 1;
	if (rank > n)
		rank = n;
	return (double)v[rank - 1] / 1000.0;
}

struct result {
	size_t pairs;
	unsigned long early;
	double p50, p99, max;		/* lateness, us */
	double log_p99;			/* vs the park event's t_ns, us */
	long parked_max;
	uint64_t park_span_ns;		/* first to last park event */
	uint64_t serve_span_ns;		/* first deadline to last reply */
};

/* +1 at a park, -1 at its completion: the most parked at once. */
struct step {
	uint64_t t;
	int d;
};

static int cmp_step(const void *a, const void *b)
{
	const struct step *x = a, *y = b;

	if (x->t != y->t)
		return (x->t > y->t) - (x->t < y->t);
	return x->d - y->d;	/* a completion before a park at the same ns */
}

static void pair_up(struct log_tail *lt, struct result *res)
{
	struct recs *p = &lt->parks, *d = &lt->dones;
	int64_t *late = xmalloc((p->n + 1) * sizeof(*late));
	int64_t *logged = xmalloc((p->n + 1) * sizeof(*logged));
	struct step *st = xmalloc((2 * p->n + 1) * sizeof(*st));
	size_t i = 0, j = 0, n = 0, ns = 0;
	uint64_t first = UINT64_MAX, last = 0;
	uint64_t first_dl = UINT64_MAX, last_done = 0;
	long cur = 0;

	memset(res, 0, sizeof(*res));
	res->p50 = res->p99 = res->max = res->log_p99 = -1; /* no pairs */
	qsort(p->v, p->n, sizeof(*p->v), cmp_unique);
	qsort(d->v, d->n, sizeof(*d->v), cmp_unique);
	while (i < p->n && j < d->n) {
		const struct rec *pk = &p->v[i], *dn = &d->v[j];

		if (pk->unique < dn->unique) {
			i++;
			continue;
		}
		if (dn->unique < pk->unique) {
			j++;
			continue;
		}
		/* The completion's delay_ns counts from when lagfs took the
		 * request, which is where its deadline counts from too. */
		late[n] = dn->delay_ns - pk->delay_ns;
		logged[n] = (int64_t)(dn->t_ns - pk->t_ns) - pk->delay_ns;
		res->early += late[n] < 0;
		st[ns++] = (struct step){ pk->t_ns, +1 };
		st[ns++] = (struct step){ dn->t_ns, -1 };
		if (pk->t_ns < first)
			first = pk->t_ns;
		if (pk->t_ns > last)
			last = pk->t_ns;
		if (pk->t_ns + (uint64_t)pk->delay_ns < first_dl)
			first_dl = pk->t_ns + (uint64_t)pk->delay_ns;
		if (dn->t_ns > last_done)
			last_done = dn->t_ns;
		n++, i++, j++;
	}
	res->pairs = n;
	if (n) {
		qsort(late, n, sizeof(*late), cmp_i64);
		qsort(logged, n, sizeof(*logged), cmp_i64);
		res->p50 = pct_us(late, n, 50);
		res->p99 = pct_us(late, n, 99);
		res->max = (double)late[n - 1] / 1000.0;
		res->log_p99 = pct_us(logged, n, 99);
		res->park_span_ns = last - first;
		res->serve_span_ns = last_done > first_dl ? last_done - first_dl
							  : 0;
	}
	qsort(st, ns, sizeof(*st), cmp_step);
	for (i = 0; i < ns; i++) {
		cur += st[i].d;
		if (cur > res->parked_max)
			res->parked_max = cur;
	}
	free(late);
	free(logged);
	free(st);
}

/* --- main ------------------------------------------------------------------ */

struct run {
	struct io_uring *rings;
	unsigned *inflight;	/* per ring: submitted, not yet reaped */
	unsigned nrings;
	bool deferred;		/* rings run completions only when we wait */
	unsigned long done, errors, bad_data;
	uint64_t t_submit0, t_submitted, t_last_cqe;
	char *bufs;
	unsigned long bpf;
};

static unsigned long reap(const struct opts *o, struct run *r)
{
	unsigned long got = 0;

	for (unsigned k = 0; k < r->nrings; k++) {
		struct io_uring_cqe *cqe;

		while (io_uring_peek_cqe(&r->rings[k], &cqe) == 0) {
			unsigned long i = (unsigned long)io_uring_cqe_get_data64(cqe);
			char want[64];

			if (cqe->res != (int)BLOCK) {
				if (r->errors++ < 5)
					fprintf(stderr, "parked_reads: read %lu: "
						"%s\n", i, cqe->res < 0 ?
						strerror(-cqe->res) :
						"short read");
			} else {
				stamp(want, i % o->files, i / o->files);
				if (memcmp(r->bufs + (size_t)i * BLOCK, want,
					   sizeof(want))) {
					if (r->bad_data++ == 0)
						fprintf(stderr, "parked_reads: "
							"read %lu: wrong data\n",
							i);
				}
			}
			io_uring_cqe_seen(&r->rings[k], cqe);
			r->inflight[k]--;
			got++;
		}
	}
	if (got) {
		r->done += got;
		r->t_last_cqe = lag_now_ns();
	}
	return got;
}

/*
 * The rings are set up with IORING_SETUP_DEFER_TASKRUN where the kernel has
 * it (6.1+): a completion is then queued for this process to run when it
 * next waits, instead of interrupting it (an IPI to its CPU, sent from
 * lagfs's writev to /dev/fuse). perf showed that IPI as 12 % of lagfs's time
 * in this benchmark; it is the client's cost, not lagfs's, so the benchmark
 * keeps it out of lagfs's replies. Older kernels fall back to plain rings.
 */
static int init_ring(unsigned entries, struct io_uring *ring, bool *deferred)
{
	int rc;

	if (*deferred) {
		rc = io_uring_queue_init(entries, ring,
					 IORING_SETUP_SINGLE_ISSUER |
					 IORING_SETUP_DEFER_TASKRUN);
		if (rc != -EINVAL)
			return rc;
		*deferred = false;
	}
	return io_uring_queue_init(entries, ring, 0);
}

static int setup_rings(const struct opts *o, struct run *r)
{
	unsigned long left = o->n;

	r->nrings = (unsigned)((o->n + RING_MAX - 1) / RING_MAX);
	r->rings = calloc(r->nrings, sizeof(*r->rings));
	r->inflight = calloc(r->nrings, sizeof(*r->inflight));
	if (!r->rings || !r->inflight) {
		perror("parked_reads: setup");
		return -1;
	}
	r->deferred = true;
	for (unsigned k = 0; k < r->nrings; k++) {
		unsigned entries = left < RING_MAX ? (unsigned)left : RING_MAX;
		int rc = init_ring(entries, &r->rings[k], &r->deferred);

		if (rc < 0) {
			fprintf(stderr, "parked_reads: io_uring_queue_init(%u): "
				"%s\n", entries, strerror(-rc));
			return -1;
		}
		left -= entries;
	}
	return 0;
}

static int submit_all(const struct opts *o, struct run *r, const int *fds)
{
	unsigned long i = 0;

	r->t_submit0 = lag_now_ns();
	for (unsigned k = 0; k < r->nrings; k++) {
		unsigned long queued = 0;
		int rc;

		for (; i < o->n; i++, queued++) {
			struct io_uring_sqe *sqe = io_uring_get_sqe(&r->rings[k]);

			if (!sqe)
				break;
			/* Read i: file i % files, its block i / files. */
			io_uring_prep_read(sqe, fds[i % o->files],
					   r->bufs + (size_t)i * BLOCK, BLOCK,
					   (uint64_t)(i / o->files) * BLOCK);
			io_uring_sqe_set_data64(sqe, i);
		}
		rc = io_uring_submit(&r->rings[k]);
		r->inflight[k] = rc > 0 ? (unsigned)rc : 0;
		if (rc < 0 || (unsigned long)rc != queued) {
			fprintf(stderr, "parked_reads: io_uring_submit: %s\n",
				rc < 0 ? strerror(-rc) : "short submit");
			return -1;
		}
	}
	r->t_submitted = lag_now_ns();
	return 0;
}

/*
 * Wait up to ms for completions, asking for all that are outstanding so
 * that a deferred ring wakes us once, not once per completion. With several
 * rings the time is shared between them.
 */
static void wait_rings(struct run *r, int ms)
{
	long long ns = (long long)ms * 1000000 / r->nrings;

	for (unsigned k = 0; k < r->nrings; k++) {
		struct __kernel_timespec ts = {
			.tv_sec = ns / 1000000000, .tv_nsec = ns % 1000000000,
		};
		struct io_uring_cqe *cqe;
		int rc;

		if (!r->inflight[k])
			continue;
		rc = io_uring_wait_cqes(&r->rings[k], &cqe, r->inflight[k],
					&ts, NULL);
		if (rc < 0 && rc != -ETIME && rc != -EINTR) {
			fprintf(stderr, "parked_reads: io_uring_wait_cqes: "
				"%s\n", strerror(-rc));
			return;
		}
	}
}

/*
 * LOGFILE "-": the same reads on any FUSE mount without delays, for the
 * rate the daemon answers N reads at once (no log to pair, no lateness).
 */
static int plain_main(const struct opts *o)
{
	struct run r = { 0 };
	uint64_t deadline;
	double cpu0, cpu1, wall_ms;
	int *fds, rc = 0;

	r.bpf = (o->n + o->files - 1) / o->files;
	fds = xmalloc(o->files * sizeof(*fds));
	for (unsigned long i = 0; i < o->files; i++)
		fds[i] = -1;
	if (posix_memalign((void **)&r.bufs, BLOCK, (size_t)o->n * BLOCK)) {
		perror("parked_reads: posix_memalign");
		return 1;
	}
	memset(r.bufs, 0, (size_t)o->n * BLOCK);
	if (make_files(o, r.bpf, fds) < 0 || setup_rings(o, &r) < 0) {
		remove_files(o, fds);
		return 1;
	}
	cpu0 = proc_cpu_ms(o->pid);
	if (submit_all(o, &r, fds) < 0) {
		remove_files(o, fds);
		return 1;
	}
	deadline = r.t_submitted + WAIT_LIMIT_S * 1000000000ull;
	while (r.done < o->n && lag_now_ns() < deadline) {
		reap(o, &r);
		if (r.done < o->n)
			wait_rings(&r, RUN_POLL_MS);
	}
	reap(o, &r);
	cpu1 = proc_cpu_ms(o->pid);
	if (r.done < o->n) {
		fprintf(stderr, "parked_reads: only %lu of %lu reads completed "
			"within %d s\n", r.done, o->n, WAIT_LIMIT_S);
		r.errors += o->n - r.done;
	}
	wall_ms = (double)(r.t_last_cqe - r.t_submit0) / 1e6;
	printf("parked_reads_plain n=%lu errors=%lu bad_data=%lu wall_ms=%.1f "
	       "rate_per_s=%.0f daemon_cpu_ms=%.0f\n", o->n, r.errors,
	       r.bad_data, wall_ms, r.done && wall_ms > 0 ?
	       (double)r.done * 1e3 / wall_ms : -1.0,
	       cpu0 >= 0 && cpu1 >= 0 ? cpu1 - cpu0 : -1.0);
	fflush(stdout);
	if (r.errors || r.bad_data)
		rc = 1;
	for (unsigned k = 0; k < r.nrings; k++)
		io_uring_queue_exit(&r.rings[k]);
	free(r.inflight);
	remove_files(o, fds);
	free(fds);
	free(r.rings);
	free(r.bufs);
	return rc;
}

int main(int argc, char **argv)
{
	struct opts o;
	struct run r = { 0 };
	struct log_tail lt;
	struct proc_status s, parked_max = { -1, -1, -1 },
			   run_max = { -1, -1, -1 }, at_n = { -1, -1, -1 };
	struct result res;
	uint64_t t_all_parked = 0, deadline, t0;
	bool parked_phase = true;
	double cpu0, cpu1, self0, self1, wall_ms;
	unsigned long samples = 0;
	int *fds, rc = 0;

	parse_args(&o, argc, argv);
	if (proc_status_read((pid_t)o.pid, &s) < 0) {
		fprintf(stderr, "parked_reads: no process %ld (/proc/%ld/status)"
			"\n", o.pid, o.pid);
		return 2;
	}
	raise_nofile(o.files);
	if (!strcmp(o.log, "-"))
		return plain_main(&o);
	r.bpf = (o.n + o.files - 1) / o.files;
	fds = xmalloc(o.files * sizeof(*fds));
	for (unsigned long i = 0; i < o.files; i++)
		fds[i] = -1;
	if (posix_memalign((void **)&r.bufs, BLOCK, (size_t)o.n * BLOCK)) {
		perror("parked_reads: posix_memalign");
		return 1;
	}
	memset(r.bufs, 0, (size_t)o.n * BLOCK);
	if (make_files(&o, r.bpf, fds) < 0 || setup_rings(&o, &r) < 0) {
		remove_files(&o, fds);
		return 1;
	}
	t0 = lag_now_ns();
	if (log_open(&lt, o.log, t0) < 0) {
		remove_files(&o, fds);
		return 1;
	}
	lt.jitter_ns = o.jitter_ns;
	log_poll(&lt, o.delay_ns); /* skip what came before */

	cpu0 = proc_cpu_ms(o.pid);
	self0 = self_cpu_ms();
	if (submit_all(&o, &r, fds) < 0) {
		remove_files(&o, fds);
		return 1;
	}
	/*
	 * Until the first completion everything submitted is parked (or on
	 * its way to lagfs): follow the log and sample /proc every POLL_MS,
	 * keeping the maxima, and note the sample taken when the log shows
	 * all N parked. Once replies flow, the log is left alone (parsing it
	 * would take CPU from lagfs just when its deadlines are due) and /proc
	 * is sampled every RUN_POLL_MS only.
	 */
	deadline = r.t_submitted + o.delay_ns + o.jitter_ns +
		   WAIT_LIMIT_S * 1000000000ull;
	while (r.done < o.n && lag_now_ns() < deadline) {
		if (parked_phase)
			log_poll(&lt, o.delay_ns);
		/* Completions first: a sample after one is not "parked". */
		if (reap(&o, &r) || lt.dones.n)
			parked_phase = false;
		if (proc_status_read((pid_t)o.pid, &s) == 0) {
			samples++;
			sample_max(&run_max, &s);
			if (parked_phase)
				sample_max(&parked_max, &s);
			if (parked_phase && !t_all_parked &&
			    lt.parks.n >= o.n) {
				t_all_parked = lag_now_ns();
				at_n = s;
			}
		}
		if (r.done < o.n)
			wait_rings(&r, parked_phase ? POLL_MS : RUN_POLL_MS);
	}
	reap(&o, &r);
	cpu1 = proc_cpu_ms(o.pid);
	self1 = self_cpu_ms();
	if (proc_status_read((pid_t)o.pid, &s) == 0)
		sample_max(&run_max, &s);
	if (r.done < o.n) {
		fprintf(stderr, "parked_reads: only %lu of %lu reads completed "
			"within %.1f s\n", r.done, o.n,
			(double)(deadline - r.t_submitted) / 1e9);
		r.errors += o.n - r.done;
	}
	/* The writer thread logs the last completions a moment later (no
	 * point waiting for those of reads that never completed). */
	deadline = lag_now_ns() + (r.done == o.n ? 10 * 1000000000ull : 0);
	do {
		log_poll(&lt, o.delay_ns);
		if (lt.dones.n >= o.n && lt.parks.n >= o.n)
			break;
		usleep(10000);
	} while (lag_now_ns() < deadline);

	pair_up(&lt, &res);
	wall_ms = r.done == o.n ? (double)(r.t_last_cqe - r.t_submit0) / 1e6
				: -1.0;
	if (lt.other_delay)
		fprintf(stderr, "parked_reads: %lu park events planned %" PRId64
			" ns, not the %" PRIu64 " ns of -d\n", lt.other_delay,
			lt.other_delay_ns, o.delay_ns);
	if (lt.not_delay || lt.bad_result)
		fprintf(stderr, "parked_reads: %lu completions not ended by "
			"their delay, %lu with a nonzero result\n",
			lt.not_delay, lt.bad_result);
	if (res.pairs < o.n)
		fprintf(stderr, "parked_reads: only %zu park/completion pairs "
			"in %s (%zu parks, %zu completions of our reads)\n",
			res.pairs, o.log, lt.parks.n, lt.dones.n);

	printf("parked_reads n=%lu files=%lu delay_us=%" PRIu64
	       " pairs=%zu errors=%lu bad_data=%lu early=%lu"
	       " p50_us=%.0f p99_us=%.0f max_us=%.0f p99_parklog_us=%.0f"
	       " parked_max=%ld threads=%ld vmrss_kb=%ld"
	       " threads_at_n=%ld vmrss_kb_at_n=%ld threads_run_max=%ld"
	       " vmhwm_kb=%ld samples=%lu submit_us=%.0f park_span_us=%.0f"
	       " all_parked_us=%.0f serve_span_us=%.0f wall_ms=%.1f"
	       " lagfs_cpu_ms=%.0f self_cpu_ms=%.0f defer_taskrun=%d"
	       " answer_rate_per_s=%.0f\n",
	       o.n, o.files, o.delay_ns / 1000, res.pairs, r.errors,
	       r.bad_data, res.early, res.p50, res.p99, res.max, res.log_p99,
	       res.parked_max, parked_max.threads, parked_max.vmrss_kb,
	       at_n.threads, at_n.vmrss_kb, run_max.threads, run_max.vmhwm_kb,
	       samples, (double)(r.t_submitted - r.t_submit0) / 1e3,
	       (double)res.park_span_ns / 1e3,
	       t_all_parked ? (double)(t_all_parked - r.t_submit0) / 1e3 : -1.0,
	       (double)res.serve_span_ns / 1e3,
	       wall_ms,
	       cpu0 >= 0 && cpu1 >= 0 ? cpu1 - cpu0 : -1.0, self1 - self0,
	       r.deferred, res.serve_span_ns ? (double)res.pairs * 1e9 /
						(double)res.serve_span_ns : -1.0);
	printf("%lu O_DIRECT io_uring reads over %lu files, delay %.0f ms "
	       "(jitter %.0f ms): reply - deadline p50 %.0f us, p99 %.0f us, "
	       "max %.0f us "
	       "(%lu early); up to %ld parked at once; lagfs had %ld threads "
	       "and %.1f MiB resident while parked (%ld threads at most over "
	       "the run); %lu errors; %s %.1f ms after submit\n",
	       o.n, o.files, (double)o.delay_ns / 1e6,
	       (double)o.jitter_ns / 1e6, res.p50, res.p99, res.max, res.early, res.parked_max, parked_max.threads,
	       (double)parked_max.vmrss_kb / 1024.0, run_max.threads,
	       r.errors, wall_ms < 0 ? "NOT all done" : "all done",
	       wall_ms < 0 ? (double)(lag_now_ns() - r.t_submit0) / 1e6 : wall_ms);
	fflush(stdout);
	if (r.errors || r.bad_data || res.pairs < o.n)
		rc = 1;
	/*
	 * With reads still in flight in a lagfs that does not answer, closing
	 * the files below waits for it (FUSE_FLUSH cannot be interrupted):
	 * whoever runs us must then end that lagfs. The results are out.
	 */
	for (unsigned k = 0; k < r.nrings; k++)
		io_uring_queue_exit(&r.rings[k]);
	free(r.inflight);
	remove_files(&o, fds);
	log_close(&lt);
	free(fds);
	free(r.rings);
	free(r.bufs);
	return rc;
}

/*
 * svg: lagrace --svg FILE, an SVG 1.1 file written by hand.
 *
 * Layout comes first (how tall a lane is depends on how many rows its
 * labels need, so the height is known before the <svg> element is written),
 * then the drawing. Mark labels in one lane are stacked like a staircase:
 * from the right, each label takes the lowest row where it overlaps no other
 * label and no leader line (tick to label) crosses one.
 */
#include "svg.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base.h"
#include "scenario.h"
#include "story.h"
#include "verdict.h"
#include "utf8.h"

#define W         1200.0
#define PLOT_L    150.0          /* plots start here; lane names left of it */
#define PLOT_R    1160.0
#define LABEL_R   (W - 6)        /* labels must end before this */
#define ROW_H     14.0           /* one row of mark labels */
#define MAX_ROWS  6
#define MAX_MARKS 12
#define MAX_BINS  64
#define HIST_H    120.0          /* the histogram's plot height */
#define FS        11.0           /* mark label font size, px */
#define FONT      "DejaVu Sans, Liberation Sans, Arial, Helvetica, sans-serif"

#define C_CHILD   "#1f77b4"
#define C_WORKER  "#9467bd"
#define C_LAGFS   "#2ca02c"
#define C_LAGRACE "#555555"
#define C_KILL    "#111111"
#define C_BUSY    "#d62728"
#define C_RELEASE "#e8710a"
#define C_NOBODY  "#bbbbbb"

enum lane { L_CHILD, L_WORKER, L_LAGFS, L_LAGRACE, L_N };

static const char *const lane_name[L_N] = { "child", "io-wq worker",
					    "lagfs", "lagrace" };
static const char *const lane_color[L_N] = { C_CHILD, C_WORKER, C_LAGFS,
					     C_LAGRACE };

struct out {
	FILE *f;
	int err;                 /* the first write error */
};

/* A labelled tick: a timeline mark, or a statistic on the histogram. */
struct mark {
	int lane;
	double ms;               /* after the kill (timeline), or lateness */
	char name[24], time[16];
	const char *color;
	double x, lx, w;         /* tick, label's left edge, label width (px) */
	int row;
};

struct timeline {
	const struct iter_result *r; /* NULL: no iteration to draw */
	enum mitigation mit;
	bool worker;                 /* the IO came from an io-wq worker */
	double t0, t1;               /* axis range, ms after the kill */
	struct mark m[MAX_MARKS];
	int n, rows[L_N];
	double top, lane_y[L_N], axis_y, end_y;
};

struct hist {
	unsigned hits, cnt[MAX_BINS], cmax;
	int nb, rows;
	double step, xmax;
	struct mark st[3];           /* p50, p99, max */
	double top, plot_y, end_y;   /* plot_y: the plot's bottom */
};

/* ---- output: every write checked, the first error kept ---- */

__attribute__((format(printf, 2, 3)))
static void put(struct out *o, const char *fmt, ...)
{
	va_list ap;

	if (o->err)
		return;
	errno = 0;
	va_start(ap, fmt);
	if (vfprintf(o->f, fmt, ap) < 0)
		o->err = errno ? errno : EIO;
	va_end(ap);
}

/* Text content: &, <, >, " escaped; control bytes and bad UTF-8 as '?'. */
static void put_esc(struct out *o, const char *s)
{
	while (*s && !o->err) {
		int n = (int)utf8_len((const unsigned char *)s, strnlen(s, 4));

		if (*s == '&')
			put(o, "&amp;");
		else if (*s == '<')
			put(o, "&lt;");
		else if (*s == '>')
			put(o, "&gt;");
		else if (*s == '"')
			put(o, "&quot;");
		else if (!n || (unsigned char)*s < 0x20)
			put(o, "?");
		else
			put(o, "%.*s", n, s);
		s += n ? n : 1;
	}
}

/* <text x y ATTRS>escaped printf text</text> */
__attribute__((format(printf, 5, 6)))
static void text(struct out *o, double x, double y, const char *attrs,
		 const char *fmt, ...)
{
	char buf[512];

	VA_FORMAT(buf, fmt);
	put(o, "<text x=\"%.1f\" y=\"%.1f\" %s>", x, y, attrs);
	put_esc(o, buf);
	put(o, "</text>\n");
}

/* <text>: HEAD in bold and COLOR, then TAIL. */
static void text2(struct out *o, double x, double y, const char *attrs,
		  const char *color, const char *head, const char *tail)
{
	put(o, "<text x=\"%.1f\" y=\"%.1f\" %s><tspan font-weight=\"bold\" "
	    "fill=\"%s\">", x, y, attrs, color);
	put_esc(o, head);
	put(o, "</tspan> ");
	put_esc(o, tail);
	put(o, "</text>\n");
}

static void line(struct out *o, double x1, double y1, double x2, double y2,
		 const char *attrs)
{
	put(o, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" %s/>\n",
	    x1, y1, x2, y2, attrs);
}

static void rect(struct out *o, double x, double y, double w, double h,
		 const char *attrs)
{
	put(o, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" "
	    "%s/>\n", x, y, w > 0 ? w : 0, h > 0 ? h : 0, attrs);
}

/* ---- numbers ---- */

static long ifloor(double v)
{
	long i = (long)v;

	return i - (v < (double)i);
}

static long iceil(double v)
{
	return -ifloor(-v);
}

/* A step of 1, 2 or 5 times a power of ten giving about N steps. */
static double nice_step(double range, int n)
{
	double raw = range > 0 ? range / n : 1, mag = 1, f;

	while (mag * 10 <= raw)
		mag *= 10;
	while (mag > raw)
		mag /= 10;
	f = raw / mag;
	return (f < 1.5 ? 1 : f < 3 ? 2 : f < 7 ? 5 : 10) * mag;
}

/* Rough width of S in DejaVu Sans at SIZE px: good enough to avoid
 * overlaps, a little generous. */
static double text_w(const char *s, double size)
{
	double w = 0;

	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if ((c & 0xc0) == 0x80)
			continue;
		w += c >= 'A' && c <= 'Z' ? 0.74 : c >= '0' && c <= '9' ? 0.64
		     : strchr(" .,:;|il'()", c) ? 0.34
		     : c == 'm' || c == 'w' || c == '+' ? 0.88 : 0.62;
	}
	return w * size;
}

/* ---- mark labels ---- */

static int cmp_mark(const void *a, const void *b)
{
	double x = ((const struct mark *)a)->ms, y = ((const struct mark *)b)->ms;

	return x < y ? -1 : x > y;
}

/* Tick at X; the label right of it, or left if it would not fit. */
static void mark_at(struct mark *m, double x)
{
	char buf[48];

	snprintf(buf, sizeof(buf), "%s %s", m->name, m->time);
	m->x = x;
	m->w = text_w(buf, FS);
	m->lx = x + 3 + m->w <= LABEL_R ? x + 3 : x - 3 - m->w;
}

/* Whether a's label in ROW conflicts with the placed label b. STRICT: a
 * leader line crossing a label is a conflict too. */
static bool clash(const struct mark *a, int row, const struct mark *b,
		  bool strict)
{
	if (row == b->row)
		return !(a->lx + a->w + 6 < b->lx || b->lx + b->w + 6 < a->lx);
	if (!strict)
		return false;
	if (row > b->row)
		return a->x > b->lx - 1 && a->x < b->lx + b->w + 1;
	return b->x > a->lx - 1 && b->x < a->lx + a->w + 1;
}

static int pick_row(const struct mark *m, int n, int i)
{
	for (int strict = 1; strict >= 0; strict--) {
		for (int row = 0; row < MAX_ROWS; row++) {
			bool ok = true;

			for (int j = i + 1; j < n && ok; j++)
				if (m[j].lane == m[i].lane)
					ok = !clash(&m[i], row, &m[j], strict);
			if (ok)
				return row;
		}
	}
	return MAX_ROWS - 1;
}

/* Rows for the labels of LANE (M sorted by x); returns how many are used. */
static int place_labels(struct mark *m, int n, int lane)
{
	int used = 0;

	for (int i = n - 1; i >= 0; i--) {
		if (m[i].lane != lane)
			continue;
		m[i].row = pick_row(m, n, i);
		if (m[i].row + 1 > used)
			used = m[i].row + 1;
	}
	return used;
}

/* Tick, leader and label of M on a baseline at Y. */
static void draw_mark(struct out *o, const struct mark *m, double y)
{
	double ly = y - 9 - m->row * ROW_H;

	if (m->row)
		line(o, m->x, y - 4, m->x, ly + 2, "stroke=\"#999\" "
		     "stroke-width=\"0.8\"");
	line(o, m->x, y - 6, m->x, y + 6, "stroke=\"#333\" stroke-width=\"1\"");
	put(o, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3.5\" fill=\"%s\" "
	    "stroke=\"#fff\" stroke-width=\"1\"/>\n", m->x, y, m->color);
	text2(o, m->lx, ly, "class=\"m\"", m->color, m->name, m->time);
}

/* ---- timeline layout ---- */

static double ms_of(const struct iter_result *r, uint64_t t)
{
	return ((double)t - (double)r->t_kill) / 1e6;
}

static double tx(const struct timeline *tl, double ms)
{
	return PLOT_L + (ms - tl->t0) / (tl->t1 - tl->t0) * (PLOT_R - PLOT_L);
}

static void add_mark(struct timeline *tl, int lane, uint64_t t,
		     const char *name, const char *color)
{
	struct mark *m = &tl->m[tl->n];

	if (!t || tl->n == MAX_MARKS)
		return;
	tl->n++;
	m->lane = lane;
	m->ms = ms_of(tl->r, t);
	m->color = color;
	snprintf(m->name, sizeof(m->name), "%s", name);
	if (t == tl->r->t_kill)
		snprintf(m->time, sizeof(m->time), "0.00");
	else
		snprintf(m->time, sizeof(m->time), "%+.2f", m->ms);
}

static const char *errname(int e)
{
	const char *s = strerrorname_np(e);

	return s ? s : "error";
}

static void collect_marks(struct timeline *tl)
{
	const struct iter_result *r = tl->r;
	char um[24];

	snprintf(um, sizeof(um), "umount %s",
		 r->umount1_errno ? errname(r->umount1_errno) : "ok");
	add_mark(tl, L_CHILD, r->t_open, "open", C_CHILD);
	add_mark(tl, L_CHILD, r->t_kill, "kill", C_KILL);
	add_mark(tl, L_LAGFS, r->t_io, "IO arrives", C_LAGFS);
	add_mark(tl, L_LAGFS, r->t_closed, "FLUSH (closed)", C_LAGFS);
	add_mark(tl, L_LAGFS, r->t_interrupt, "INTERRUPT", C_LAGFS);
	add_mark(tl, L_LAGFS, r->t_io_done, "IO answered", C_LAGFS);
	add_mark(tl, L_LAGFS, r->t_release, "RELEASE", C_RELEASE);
	add_mark(tl, L_LAGRACE, r->t_reap, "reap", C_LAGRACE);
	add_mark(tl, L_LAGRACE, r->t_umount1, um,
		 r->umount1_errno ? C_BUSY : C_LAGRACE);
	add_mark(tl, L_LAGRACE, r->t_hold_released, "hold released", C_LAGRACE);
	add_mark(tl, L_LAGRACE, r->t_free, "free", C_LAGRACE);
	if (r->t_umount_done != r->t_umount1)
		add_mark(tl, L_LAGRACE, r->t_umount_done, "umount ok",
			 C_LAGRACE);
	qsort(tl->m, (size_t)tl->n, sizeof(tl->m[0]), cmp_mark);
}

/* The axis spans every mark, a little padded. */
static void set_range(struct timeline *tl)
{
	double lo = 0, hi = 0, pad;

	for (int i = 0; i < tl->n; i++) {
		lo = tl->m[i].ms < lo ? tl->m[i].ms : lo;
		hi = tl->m[i].ms > hi ? tl->m[i].ms : hi;
	}
	pad = hi - lo > 1e-3 ? (hi - lo) * 0.03 : 0.5;
	tl->t0 = lo - pad;
	tl->t1 = hi + pad;
}

static const struct iter_result *first_ok(const struct report *rp)
{
	for (size_t i = 0; i < rp->n; i++)
		if (!rp->results[i].error && rp->results[i].t_kill)
			return &rp->results[i];
	return NULL;
}

static void layout_timeline(struct timeline *tl, const struct report *rp,
			    double top)
{
	double y = top + 70;     /* heading, and the busy window's label */

	memset(tl, 0, sizeof(*tl));
	tl->top = top;
	tl->mit = rp->cfg->mitigate;
	tl->r = first_ok(rp);
	if (!tl->r) {
		tl->end_y = top + 60;
		return;
	}
	tl->worker = tl->r->io_pid && tl->r->io_pid != tl->r->child;
	collect_marks(tl);
	set_range(tl);
	for (int i = 0; i < tl->n; i++)
		mark_at(&tl->m[i], tx(tl, tl->m[i].ms));
	for (int l = 0; l < L_N; l++) {
		if (l == L_WORKER && !tl->worker)
			continue;
		tl->rows[l] = place_labels(tl->m, tl->n, l);
		tl->lane_y[l] = y + 8 + tl->rows[l] * ROW_H;
		y = tl->lane_y[l] + 24;
	}
	tl->axis_y = y;
	tl->end_y = y + 104;
}

/* ---- timeline drawing ---- */

static void draw_axis(struct out *o, const struct timeline *tl)
{
	double step = nice_step(tl->t1 - tl->t0, 12), y = tl->axis_y;

	line(o, PLOT_L, y, PLOT_R, y, "stroke=\"#333\"");
	for (long k = iceil(tl->t0 / step); k <= ifloor(tl->t1 / step); k++) {
		double x = tx(tl, (double)k * step);

		line(o, x, tl->top + 66, x, y, "stroke=\"#eee\"");
		line(o, x, y, x, y + 5, "stroke=\"#333\"");
		text(o, x, y + 17, "class=\"ax\" text-anchor=\"middle\"", "%g",
		     (double)k * step);
	}
	text(o, PLOT_R, y + 32, "class=\"ax\" text-anchor=\"end\"",
	     "ms after the SIGKILL");
}

static void draw_busy(struct out *o, const struct timeline *tl)
{
	const struct iter_result *r = tl->r;
	double x0, x1, top = tl->top + 46;
	char buf[64];

	if (!r->ebusy || !r->t_umount1 || r->t_free <= r->t_umount1)
		return;
	x0 = tx(tl, ms_of(r, r->t_umount1));
	x1 = tx(tl, ms_of(r, r->t_free));
	rect(o, x0, top, x1 - x0, tl->axis_y - top, "fill=\"" C_BUSY "\" "
	     "fill-opacity=\"0.09\" stroke=\"" C_BUSY "\" stroke-opacity="
	     "\"0.45\" stroke-dasharray=\"4 3\"");
	snprintf(buf, sizeof(buf), "mount busy (EBUSY) for %.2f ms",
		 (r->t_free - r->t_umount1) / 1e6);
	if (text_w(buf, 12) + 10 < x1 - x0)
		text(o, (x0 + x1) / 2, top + 15, "class=\"busy\" "
		     "text-anchor=\"middle\"", "%s", buf);
	else
		text(o, x0 + 4, top + 15, "class=\"busy\"", "%s", buf);
}

/* A bar on a lane from A to B (absolute ns; skipped if either is 0). */
static void bar(struct out *o, const struct timeline *tl, double y,
		uint64_t a, uint64_t b, const char *color, double opacity)
{
	double x0, x1;

	if (!a || !b || b <= a)
		return;
	x0 = tx(tl, ms_of(tl->r, a));
	x1 = tx(tl, ms_of(tl->r, b));
	put(o, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"8\" "
	    "rx=\"2\" fill=\"%s\" fill-opacity=\"%.2f\"/>\n", x0, y - 4,
	    x1 - x0 > 1 ? x1 - x0 : 1, color, opacity);
}

static void draw_lane_bars(struct out *o, const struct timeline *tl, int l)
{
	const struct iter_result *r = tl->r;
	double y = tl->lane_y[l];

	if (l == L_CHILD) {
		bar(o, tl, y, r->t_open, r->t_kill, C_CHILD, 0.55);
		bar(o, tl, y, r->t_kill, r->t_reap, C_CHILD, 0.22);
	} else if (l == L_WORKER) {
		bar(o, tl, y, r->t_io, r->t_io_done, C_WORKER, 0.45);
		if (r->t_io && r->t_io_done > r->t_io)
			text(o, tx(tl, ms_of(r, r->t_io_done)) + 6, y + 4,
			     "class=\"note\"", "blocked in the READ until "
			     "lagfs answers");
	} else if (l == L_LAGFS) {
		bar(o, tl, y, r->t_io, r->t_io_done, C_LAGFS, 0.40);
	}
}

static void draw_lane(struct out *o, const struct timeline *tl, int l)
{
	double y = tl->lane_y[l];
	char attrs[64];

	snprintf(attrs, sizeof(attrs), "class=\"lane\" text-anchor=\"end\" "
		 "fill=\"%s\"", lane_color[l]);
	line(o, PLOT_L, y, PLOT_R, y, "stroke=\"#ccc\"");
	text(o, PLOT_L - 14, y + 4, attrs, "%s", lane_name[l]);
	if (l == L_CHILD && tl->r->child > 0)
		text(o, PLOT_L - 14, y + 17, "class=\"sm\" text-anchor=\"end\"",
		     "pid %d", (int)tl->r->child);
	else if (l == L_WORKER)
		text(o, PLOT_L - 14, y + 17, "class=\"sm\" text-anchor=\"end\"",
		     "tid %lld", (long long)tl->r->io_pid);
	draw_lane_bars(o, tl, l);
	for (int i = 0; i < tl->n; i++)
		if (tl->m[i].lane == l)
			draw_mark(o, &tl->m[i], y);
}

/* Who holds the child's file, phase by phase, as the story tells it (and
 * --explain): a bar under the axis and a legend with when each begins. */
static const char *holder_color(int h)
{
	static const char *const c[H_N] = {
		[H_CHILD] = C_CHILD, [H_DYING] = "#6baed6",
		[H_IN_FLIGHT] = C_WORKER, [H_EXIT] = "#8c6d31",
		[H_FALLBACK] = C_RELEASE, [H_DELAYED] = C_RELEASE,
		[H_DEFERRED] = C_RELEASE, [H_NOBODY] = C_NOBODY,
		[H_UNKNOWN] = "#e4e4e4", [H_RING] = C_WORKER,
		[H_SCM] = C_WORKER, [H_RING_TEARDOWN] = C_RELEASE,
		[H_UNIX_GC] = C_RELEASE,
	};

	return h >= 0 && h < H_N ? c[h] : "#e4e4e4";
}

static void draw_phase(struct out *o, const struct timeline *tl,
		       const struct story_step *st, double from, double to,
		       int k)
{
	double y = tl->axis_y + 44, x0 = tx(tl, from), x1 = tx(tl, to);
	double lx = PLOT_L + (k % 2) * 540, ly = y + 32 + (k / 2) * 18;
	const char *color = holder_color(st->holder);
	char tail[160];

	put(o, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"10\" "
	    "fill=\"%s\" fill-opacity=\"0.75\"/>\n", x0, y,
	    x1 - x0 > 1 ? x1 - x0 : 1, color);
	put(o, "<rect x=\"%.1f\" y=\"%.1f\" width=\"10\" height=\"10\" "
	    "fill=\"%s\" fill-opacity=\"0.75\"/>\n", lx, ly - 9, color);
	/* with --trace, the task the kernel showed holding it */
	snprintf(tail, sizeof(tail), "from %+.3f ms%s%s%s", from,
		 st->inferred ? " (inferred)" : "", st->who[0] ? ", in " : "",
		 st->who);
	text2(o, lx + 15, ly, "class=\"lg holder\"", "#222",
	      story_holder_name(st->holder), tail);
}

static void draw_phases(struct out *o, const struct timeline *tl)
{
	static struct story s;  /* large: not on the stack */
	const struct story_step *cur = NULL;
	int k = 0;

	story_build(tl->r, tl->mit, &s);
	text(o, PLOT_L - 14, tl->axis_y + 53, "class=\"lg\" font-weight=\"bold\" "
	     "text-anchor=\"end\"", "file held by");
	for (int i = 0; i <= s.n; i++) {
		const struct story_step *st = i < s.n ? &s.step[i] : NULL;

		if (st && st->holder == H_SAME)
			continue;
		if (cur)
			draw_phase(o, tl, cur, cur->t_ns / 1e6,
				   st ? st->t_ns / 1e6 : tl->t1, k++);
		cur = st;
	}
}

/* No iteration to draw: say why. */
static void draw_no_timeline(struct out *o, const struct report *rp,
			     double y)
{
	const struct iter_result *r = rp->n ? &rp->results[0] : NULL;

	text(o, 20, y + 16, "class=\"h\"", "Timeline");
	if (!r)
		text(o, PLOT_L, y + 44, "class=\"big\"",
		     "no iterations ran: nothing to draw");
	else if (r->error)
		text(o, PLOT_L, y + 44, "class=\"big\"", "every iteration "
		     "failed, e.g. #%u: %s", r->index, r->err);
	else
		text(o, PLOT_L, y + 44, "class=\"big\"", "no iteration got "
		     "as far as the kill");
}

static void draw_timeline_head(struct out *o, const struct timeline *tl)
{
	const struct iter_result *r = tl->r;
	const char *um = r->umount1_errno ? errname(r->umount1_errno) : "ok";

	text(o, 20, tl->top + 16, "class=\"h\"", "Timeline of iteration #%u "
	     "(lane %u), the first one without error", r->index, r->lane);
	if (r->releases_after_reap)
		text(o, 20, tl->top + 34, "class=\"st\"", "%s: lagfs got the "
		     "child's RELEASE %.2f ms after the reap; first unmount %s",
		     verdict_words(r->vclass, tl->mit), r->lateness_ns / 1e6, um);
	else
		text(o, 20, tl->top + 34, "class=\"st\"", "%s: the child's "
		     "file was released before the reap; first unmount %s",
		     verdict_words(r->vclass, tl->mit), um);
}

static void draw_timeline(struct out *o, const struct report *rp,
			  const struct timeline *tl)
{
	double kx;

	if (!tl->r) {
		draw_no_timeline(o, rp, tl->top);
		return;
	}
	draw_timeline_head(o, tl);
	draw_busy(o, tl);
	draw_axis(o, tl);
	kx = tx(tl, 0);
	line(o, kx, tl->top + 46, kx, tl->axis_y, "stroke=\"" C_KILL "\" "
	     "stroke-dasharray=\"3 3\" stroke-opacity=\"0.35\"");
	for (int l = 0; l < L_N; l++)
		if (l != L_WORKER || tl->worker)
			draw_lane(o, tl, l);
	draw_phases(o, tl);
}

/* ---- the lateness histogram ---- */

static double hx(const struct hist *h, double v)
{
	return PLOT_L + v / h->xmax * (PLOT_R - PLOT_L);
}

static void stat_mark(struct hist *h, int i, const char *name, double v)
{
	struct mark *m = &h->st[i];

	m->ms = v;
	m->color = "#333";
	snprintf(m->name, sizeof(m->name), "%s", name);
	snprintf(m->time, sizeof(m->time), "%.2f", v);
	mark_at(m, hx(h, v));
}

/* The histogram is of the cause: every late release, EBUSY or not. */
static bool late(const struct iter_result *r)
{
	return !r->error && r->late_release;
}

static void bin_hits(struct hist *h, const struct report *rp)
{
	double max = 0;

	for (size_t i = 0; i < rp->n; i++)
		if (late(&rp->results[i]) &&
		    rp->results[i].lateness_ns / 1e6 > max)
			max = rp->results[i].lateness_ns / 1e6;
	h->step = nice_step(max > 0 ? max : 1, 25);
	h->nb = (int)ifloor(max / h->step) + 1;
	if (h->nb > MAX_BINS)
		h->nb = MAX_BINS;
	h->xmax = h->nb * h->step;
	for (size_t i = 0; i < rp->n; i++) {
		long b;

		if (!late(&rp->results[i]))
			continue;
		b = ifloor(rp->results[i].lateness_ns / 1e6 / h->step);
		h->cnt[b < h->nb ? b : h->nb - 1]++;
		h->hits++;
	}
	for (int b = 0; b < h->nb; b++)
		h->cmax = h->cnt[b] > h->cmax ? h->cnt[b] : h->cmax;
}

static void layout_hist(struct hist *h, const struct report *rp,
			const struct summary *s, double top)
{
	double plot_top;

	memset(h, 0, sizeof(*h));
	h->top = top;
	bin_hits(h, rp);
	if (!h->hits) {
		h->plot_y = top + 50 + 70;
		h->end_y = h->plot_y + 16;
		return;
	}
	stat_mark(h, 0, "p50", s->lateness.p50);
	stat_mark(h, 1, "p99", s->lateness.p99);
	stat_mark(h, 2, "max", s->lateness.max);
	h->rows = place_labels(h->st, 3, 0);
	plot_top = top + 58 + h->rows * ROW_H;
	h->plot_y = plot_top + HIST_H;
	h->end_y = h->plot_y + 44;
}

/* Bars leave room at the top for their counts. */
static double bar_h(const struct hist *h, unsigned count)
{
	return (HIST_H - 16) * count / h->cmax;
}

static void draw_hist_axes(struct out *o, const struct hist *h)
{
	double step = nice_step(h->xmax, 10), top = h->plot_y - HIST_H;
	long ystep = (long)nice_step(h->cmax, 4);

	line(o, PLOT_L, h->plot_y, PLOT_R, h->plot_y, "stroke=\"#333\"");
	line(o, PLOT_L, top, PLOT_L, h->plot_y, "stroke=\"#333\"");
	for (long k = 0; k <= ifloor(h->xmax / step + 1e-9); k++) {
		double x = hx(h, (double)k * step);

		line(o, x, h->plot_y, x, h->plot_y + 5, "stroke=\"#333\"");
		text(o, x, h->plot_y + 17, "class=\"ax\" text-anchor=\"middle\"",
		     "%g", (double)k * step);
	}
	for (long c = 0; c <= (long)h->cmax; c += ystep > 0 ? ystep : 1) {
		double y = h->plot_y - bar_h(h, (unsigned)c);

		line(o, PLOT_L - 5, y, PLOT_L, y, "stroke=\"#333\"");
		text(o, PLOT_L - 8, y + 4, "class=\"ax\" text-anchor=\"end\"",
		     "%ld", c);
	}
	text(o, PLOT_L - 36, top + HIST_H / 2, "class=\"ax\" "
	     "text-anchor=\"end\"", "iterations");
	text(o, PLOT_R, h->plot_y + 32, "class=\"ax\" text-anchor=\"end\"",
	     "ms from the reap to lagfs's RELEASE of the child's file");
}

static void draw_hist_bars(struct out *o, const struct hist *h)
{
	for (int b = 0; b < h->nb; b++) {
		double x0 = hx(h, b * h->step), x1 = hx(h, (b + 1) * h->step);
		double bh = bar_h(h, h->cnt[b]), cw;
		char count[16];

		if (!h->cnt[b])
			continue;
		snprintf(count, sizeof(count), "%u", h->cnt[b]);
		cw = text_w(count, 10);
		rect(o, x0 + 1, h->plot_y - bh, x1 - x0 - 2, bh, "fill=\""
		     C_RELEASE "\" fill-opacity=\"0.8\"");
		rect(o, (x0 + x1 - cw) / 2 - 1, h->plot_y - bh - 13, cw + 2, 11,
		     "fill=\"#fff\"");
		text(o, (x0 + x1) / 2, h->plot_y - bh - 4, "class=\"sm\" "
		     "text-anchor=\"middle\"", "%s", count);
	}
}

/* p50, p99 and max: dashed lines through the plot, labelled above it. */
static void draw_hist_stats(struct out *o, const struct hist *h)
{
	for (int i = 0; i < 3; i++) {
		line(o, h->st[i].x, h->plot_y - HIST_H, h->st[i].x, h->plot_y,
		     "stroke=\"#333\" stroke-dasharray=\"4 3\"");
		draw_mark(o, &h->st[i], h->plot_y - HIST_H - 4);
	}
}

static void draw_hist(struct out *o, const struct report *rp,
		      const struct summary *s, const struct hist *h)
{
	unsigned ok = s->iterations - s->errors;
	char err[48] = "";

	line(o, 20, h->top, W - 20, h->top, "stroke=\"#ddd\"");
	text(o, 20, h->top + 22, "class=\"h\"", "Release lateness after the "
	     "reap, the %u iteration%s without error", ok, ok == 1 ? "" : "s");
	if (s->errors)
		snprintf(err, sizeof(err), ", errors %u (not drawn)", s->errors);
	if (!h->hits) {
		text(o, 20, h->top + 40, "class=\"st\"", "late release %u/%u, "
		     "EBUSY %u/%u%s", s->late_release, s->iterations, s->ebusy,
		     s->iterations, err);
		text(o, W / 2, h->top + 90, "class=\"big\" text-anchor=\"middle\"",
		     "no late release%s", rp->n ? "" : " (no iterations)");
		return;
	}
	text(o, 20, h->top + 40, "class=\"st\"", "late release %u/%u, EBUSY "
	     "%u/%u%s; lateness p50 %.2f ms, p99 %.2f ms, max %.2f ms",
	     s->late_release, s->iterations, s->ebusy, s->iterations, err,
	     s->lateness.p50, s->lateness.p99, s->lateness.max);
	draw_hist_axes(o, h);
	draw_hist_stats(o, h);
	draw_hist_bars(o, h);
}

/* ---- the document ---- */

static void draw_head(struct out *o, const struct report *rp,
		      const struct summary *s, double height)
{
	const struct race_cfg *c = rp->cfg;
	char v[256], hz[16] = "unknown";

	put(o, "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"no\"?>\n"
	    "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" "
	    "width=\"%.0f\" height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\">\n"
	    "<title>lagrace: late release of a killed child's file, umount "
	    "EBUSY</title>\n<style type=\"text/css\">\n"
	    "text { font-size: 11px; }\n"
	    ".t { font-size: 19px; font-weight: bold; }\n"
	    ".h { font-size: 15px; font-weight: bold; }\n"
	    ".st { font-size: 12px; fill: #444; }\n"
	    ".lane { font-size: 13px; font-weight: bold; }\n"
	    ".sm, .note { font-size: 10px; fill: #666; }\n"
	    ".note { font-style: italic; }\n"
	    ".lg { font-size: 12px; }\n"
	    ".ax { font-size: 11px; fill: #444; }\n"
	    ".busy { font-size: 12px; fill: " C_BUSY "; }\n"
	    ".big { font-size: 20px; fill: #888; }\n"
	    "</style>\n<rect width=\"%.0f\" height=\"%.0f\" fill=\"#fff\"/>\n"
	    "<g font-family=\"" FONT "\" fill=\"#222\">\n", W, height, W,
	    height, W, height);
	text(o, 20, 30, "class=\"t\"", "lagrace: SIGKILL and reap a child "
	     "whose IO lagfs holds, unmount at once \u2192 EBUSY?");
	if (rp->ri->hz)
		snprintf(hz, sizeof(hz), "%d", rp->ri->hz);
	text(o, 20, 50, "class=\"st\"", "scenario %s, engine %s, mitigation "
	     "%s, kernel %s, HZ %s; %u iteration%s in %.2f s; %s",
	     scenario_name(c), engine_names[c->engine],
	     mitigation_names[c->mitigate], rp->ri->kernel, hz, s->iterations, s->iterations == 1 ? "" : "s", s->wall_s,
	     report_verdict(rp, s, v, sizeof(v)));
}

static int fail(const char *path, int err)
{
	fprintf(stderr, "lagrace: --svg %s: %s\n", path, strerror(err));
	return -1;
}

int svg_write(const char *path, const struct report *rp,
	      const struct summary *s)
{
	struct out o = { .f = fopen(path, "w") };
	struct timeline tl;
	struct hist h;

	if (!o.f)
		return fail(path, errno);
	layout_timeline(&tl, rp, 62);
	layout_hist(&h, rp, s, tl.end_y + 14);
	draw_head(&o, rp, s, h.end_y + 16);
	draw_timeline(&o, rp, &tl);
	draw_hist(&o, rp, s, &h);
	put(&o, "</g>\n</svg>\n");
	errno = 0;
	if (fclose(o.f) != 0 && !o.err)
		o.err = errno ? errno : EIO;
	return o.err ? fail(path, o.err) : 0;
}

/* SPDX-License-Identifier: MIT */
/*
 * umctl: the one output layer. Commands describe what they print with
 * field calls (out_str("name", u->name), ...); this file turns the same
 * calls into either aligned text or JSON, in the manner of iproute2.
 *
 * Text: a record prints "key: value" lines with the values aligned; a list
 * prints a table of the columns it names, aligned, with an upper-case
 * header; both are buffered until their end because alignment needs the
 * widest value. JSON streams as it goes (a list of a million users must
 * not be held in memory twice), pretty-printed with two-space indents.
 */
#include <inttypes.h>
#include <time.h>

#include "umctl.h"

static bool json;

/* JSON writer state */
static int depth;
static bool first;

/* text record: one buffered "key: value" per field */
struct kv {
	char *key;
	char *value;
};
static struct kv *rec;
static size_t n_rec;

/* text table */
static const char *const *columns;
static size_t n_columns;
static char **cells; /* n_rows * n_columns, row-major */
static size_t n_rows;
static bool in_list;

/* text form of a nested value (out_object_begin / out_array_begin inside
 * a record): an object becomes one line "key=value key=value", an array
 * one line per element; the record prints the lines aligned. */
struct nest {
	bool array;
	char *key; /* NULL: an element of the enclosing array */
	char *buf;
	size_t size;
	FILE *f;
	bool first;
};
static struct nest nest[2];
static int n_nest;

static void *xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n);

	if (!q) {
		fputs("umctl: out of memory\n", stderr);
		exit(UMCTL_EX_FAILURE);
	}
	return q;
}

static char *xstrdup(const char *s)
{
	return strcpy(xrealloc(NULL, strlen(s) + 1), s);
}

void out_init(bool as_json)
{
	json = as_json;
}

bool out_is_json(void)
{
	return json;
}

/* ------------------------------------------------------------ JSON */

static void indent(void)
{
	fputc('\n', stdout);
	for (int i = 0; i < depth; i++)
		fputs("  ", stdout);
}

static void json_open(char c)
{
	fputc(c, stdout);
	depth++;
	first = true;
}

static void json_close(char c)
{
	depth--;
	if (!first)
		indent();
	fputc(c, stdout);
	first = false;
}

static void json_next(void)
{
	if (!first)
		fputc(',', stdout);
	indent();
	first = false;
}

/* A member "key": of the current object, or (key NULL) the next element
 * of the current array. */
static void json_key(const char *key)
{
	json_next();
	if (!key)
		return;
	out_json_string(stdout, key);
	fputs(": ", stdout);
}

/* Length of the valid UTF-8 sequence at p (1..4), or 0 if it is not one.
 * Overlong forms and surrogates are not valid. */
static size_t utf8_len(const unsigned char *p)
{
	uint32_t cp;
	size_t len;

	if (p[0] < 0x80)
		return 1;
	if ((p[0] & 0xe0) == 0xc0) {
		len = 2;
		cp = p[0] & 0x1f;
	} else if ((p[0] & 0xf0) == 0xe0) {
		len = 3;
		cp = p[0] & 0x0f;
	} else if ((p[0] & 0xf8) == 0xf0) {
		len = 4;
		cp = p[0] & 0x07;
	} else {
		return 0;
	}
	for (size_t i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (p[i] & 0x3f);
	}
	if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return len;
}

/* RFC 8259: '"', '\\' and U+0000..U+001F must be escaped; everything else
 * may pass. Valid UTF-8 passes through unchanged; a byte that is not part
 * of valid UTF-8 becomes U+FFFD, so the output is always valid JSON text.
 * DEL is escaped too, for the terminals that show it. */
void out_json_string(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	fputc('"', f);
	while (*p) {
		size_t len;

		switch (*p) {
		case '"':
			fputs("\\\"", f);
			p++;
			continue;
		case '\\':
			fputs("\\\\", f);
			p++;
			continue;
		case '\b':
			fputs("\\b", f);
			p++;
			continue;
		case '\f':
			fputs("\\f", f);
			p++;
			continue;
		case '\n':
			fputs("\\n", f);
			p++;
			continue;
		case '\r':
			fputs("\\r", f);
			p++;
			continue;
		case '\t':
			fputs("\\t", f);
			p++;
			continue;
		}
		if (*p < 0x20 || *p == 0x7f) {
			fprintf(f, "\\u%04x", *p);
			p++;
			continue;
		}
		len = utf8_len(p);
		if (len == 0) {
			fputs("\\ufffd", f);
			p++;
			continue;
		}
		fwrite(p, 1, len, f);
		p += len;
	}
	fputc('"', f);
}

/* ------------------------------------------------------------ text */

/* A value for a text cell: control characters escaped, so a table stays
 * a table and a terminal stays a terminal. malloc'd. */
static char *text_value(const char *s)
{
	char *buf = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&buf, &size);

	if (!f) {
		fputs("umctl: out of memory\n", stderr);
		exit(UMCTL_EX_FAILURE);
	}
	umctl_fputs_safe(s, f);
	if (fclose(f) != 0 || !buf) {
		fputs("umctl: out of memory\n", stderr);
		exit(UMCTL_EX_FAILURE);
	}
	return buf;
}

static ssize_t column_of(const char *key)
{
	for (size_t i = 0; i < n_columns; i++)
		if (!strcmp(columns[i], key))
			return (ssize_t)i;
	return -1;
}

/* Takes ownership of value. */
static void text_field(const char *key, char *value)
{
	if (n_nest > 0) {
		struct nest *t = &nest[n_nest - 1];

		if (t->f) {
			if (!t->first)
				fputc(t->array ? '\n' : ' ', t->f);
			if (!t->array)
				fprintf(t->f, "%s=", key);
			fputs(value, t->f);
			t->first = false;
		}
		free(value);
		return;
	}
	if (in_list) {
		ssize_t c = column_of(key);

		if (c < 0 || n_rows == 0) {
			free(value);
			return;
		}
		/* A table cell is never empty, so columns stay countable. */
		if (!*value) {
			free(value);
			value = xstrdup("-");
		}
		char **cell = &cells[(n_rows - 1) * n_columns + (size_t)c];
		free(*cell);
		*cell = value;
		return;
	}
	rec = xrealloc(rec, (n_rec + 1) * sizeof(*rec));
	rec[n_rec].key = xstrdup(key);
	for (char *p = rec[n_rec].key; *p; p++)
		if (*p == '_')
			*p = ' ';
	rec[n_rec].value = value;
	n_rec++;
}

/* Display width: UTF-8 continuation bytes take no column. Good enough for
 * names (ASCII) and most full names; East Asian wide characters would need
 * wcwidth() and a locale. */
static size_t text_width(const char *s)
{
	size_t w = 0;

	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if ((*p & 0xc0) != 0x80)
			w++;
	return w;
}

static void pad(size_t n)
{
	while (n--)
		fputc(' ', stdout);
}

/* ------------------------------------------------------------ records */

void out_record_begin(void)
{
	if (json) {
		depth = 0;
		json_open('{');
		return;
	}
	n_rec = 0;
}

void out_record_end(void)
{
	size_t w = 0;

	if (json) {
		json_close('}');
		fputc('\n', stdout);
		return;
	}
	for (size_t i = 0; i < n_rec; i++)
		if (strlen(rec[i].key) > w)
			w = strlen(rec[i].key);
	for (size_t i = 0; i < n_rec; i++) {
		fprintf(stdout, "%s:", rec[i].key);
		if (*rec[i].value) {
			pad(w - strlen(rec[i].key) + 1);
			/* A nested value holds one line per element; every value
			 * was escaped, so a newline here is ours. */
			for (const char *p = rec[i].value; *p; p++) {
				fputc(*p, stdout);
				if (*p == '\n')
					pad(w + 2);
			}
		}
		fputc('\n', stdout);
		free(rec[i].key);
		free(rec[i].value);
	}
	free(rec);
	rec = NULL;
	n_rec = 0;
}

/* ------------------------------------------------------------ lists */

void out_list_begin(const char *const *cols)
{
	in_list = true;
	if (json) {
		depth = 0;
		json_open('[');
		return;
	}
	columns = cols;
	for (n_columns = 0; cols[n_columns]; n_columns++)
		;
	cells = NULL;
	n_rows = 0;
}

void out_item_begin(void)
{
	if (json) {
		json_next();
		json_open('{');
		return;
	}
	n_rows++;
	cells = xrealloc(cells, n_rows * n_columns * sizeof(*cells));
	for (size_t c = 0; c < n_columns; c++)
		cells[(n_rows - 1) * n_columns + c] = xstrdup("-");
}

void out_item_end(void)
{
	if (json)
		json_close('}');
}

static void print_header(size_t c)
{
	for (const char *p = columns[c]; *p; p++)
		fputc(*p == '_' ? ' ' : (char)(*p >= 'a' && *p <= 'z' ? *p - 32 : *p), stdout);
}

void out_list_end(void)
{
	size_t *w;

	in_list = false;
	if (json) {
		json_close(']');
		fputc('\n', stdout);
		return;
	}
	w = xrealloc(NULL, (n_columns ? n_columns : 1) * sizeof(*w));
	for (size_t c = 0; c < n_columns; c++) {
		w[c] = strlen(columns[c]);
		for (size_t r = 0; r < n_rows; r++) {
			size_t cw = text_width(cells[r * n_columns + c]);
			if (cw > w[c])
				w[c] = cw;
		}
	}
	/* The last column is not padded: no trailing blanks. */
	for (size_t c = 0; c < n_columns; c++) {
		print_header(c);
		if (c + 1 < n_columns)
			pad(w[c] - strlen(columns[c]) + 2);
	}
	fputc('\n', stdout);
	for (size_t r = 0; r < n_rows; r++) {
		for (size_t c = 0; c < n_columns; c++) {
			const char *v = cells[r * n_columns + c];

			fputs(v, stdout);
			if (c + 1 < n_columns)
				pad(w[c] - text_width(v) + 2);
			free(cells[r * n_columns + c]);
		}
		fputc('\n', stdout);
	}
	free(cells);
	free(w);
	cells = NULL;
	n_rows = 0;
}

/* ------------------------------------------------------------ fields */

void out_str(const char *key, const char *v)
{
	if (json) {
		json_key(key);
		if (v)
			out_json_string(stdout, v);
		else
			fputs("null", stdout);
		return;
	}
	text_field(key, v ? text_value(v) : xstrdup("-"));
}

void out_u64(const char *key, uint64_t v)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "%" PRIu64, v);
	if (json) {
		json_key(key);
		fputs(buf, stdout);
		return;
	}
	text_field(key, xstrdup(buf));
}

void out_bool(const char *key, bool v)
{
	if (json) {
		json_key(key);
		fputs(v ? "true" : "false", stdout);
		return;
	}
	text_field(key, xstrdup(v ? "yes" : "no"));
}

void out_time(const char *key, int64_t t)
{
	char buf[64];
	struct tm tm;
	time_t tt = (time_t)t;

	if (t == 0 || !gmtime_r(&tt, &tm) ||
	    strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0) {
		if (json) {
			json_key(key);
			fputs("null", stdout);
		} else {
			text_field(key, xstrdup("never"));
		}
		return;
	}
	if (json) {
		json_key(key);
		out_json_string(stdout, buf);
		return;
	}
	text_field(key, xstrdup(buf));
}

void out_strv(const char *key, char *const *v, size_t n)
{
	if (json) {
		json_key(key);
		fputc('[', stdout);
		for (size_t i = 0; i < n; i++) {
			if (i)
				fputs(", ", stdout);
			out_json_string(stdout, v[i]);
		}
		fputc(']', stdout);
		return;
	}
	char *buf = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&buf, &size);

	if (!f) {
		fputs("umctl: out of memory\n", stderr);
		exit(UMCTL_EX_FAILURE);
	}
	for (size_t i = 0; i < n; i++) {
		if (i)
			fputc(',', f);
		umctl_fputs_safe(v[i], f);
	}
	if (fclose(f) != 0 || !buf) {
		fputs("umctl: out of memory\n", stderr);
		exit(UMCTL_EX_FAILURE);
	}
	text_field(key, buf);
}

/* ------------------------------------------------------------ nesting */

static void nest_push(const char *key, bool array)
{
	struct nest *t;

	if (n_nest >= (int)UM_ELEMENTSOF(nest)) {
		fputs("umctl: internal error: output nested too deep\n", stderr);
		abort();
	}
	t = &nest[n_nest++];
	*t = (struct nest){ .array = array, .key = key ? xstrdup(key) : NULL, .first = true };
	/* Only the outermost level of a text record collects; table cells
	 * show no nested values. */
	if (!in_list && (n_nest == 1 || nest[0].f)) {
		t->f = open_memstream(&t->buf, &t->size);
		if (!t->f) {
			fputs("umctl: out of memory\n", stderr);
			exit(UMCTL_EX_FAILURE);
		}
	}
}

static void nest_pop(void)
{
	/* Not a copy: open_memstream() updates buf and size in place. */
	struct nest *t = &nest[--n_nest];
	char *key = t->key;
	char *value = NULL;

	if (t->f) {
		if (fclose(t->f) != 0 || !t->buf) {
			fputs("umctl: out of memory\n", stderr);
			exit(UMCTL_EX_FAILURE);
		}
		value = t->buf;
	}
	*t = (struct nest){ 0 };
	/* An object inside an array becomes one line of the array. */
	if (value)
		text_field(key ? key : "", value);
	free(key);
}

void out_object_begin(const char *key)
{
	if (json) {
		json_key(key);
		json_open('{');
		return;
	}
	nest_push(key, false);
}

void out_object_end(void)
{
	if (json) {
		json_close('}');
		return;
	}
	nest_pop();
}

void out_array_begin(const char *key)
{
	if (json) {
		json_key(key);
		json_open('[');
		return;
	}
	nest_push(key, true);
}

void out_array_end(void)
{
	if (json) {
		json_close(']');
		return;
	}
	nest_pop();
}

int out_finish(void)
{
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "umctl: cannot write the output: %s\n", strerror(errno));
		return UMCTL_EX_IOERR;
	}
	return 0;
}

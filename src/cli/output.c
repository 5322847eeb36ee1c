/*
 * output.c - where a command writes its result: standard output, or a file
 * that appears only when complete. A file is written beside its final name
 * and renamed at the end, so a failure leaves an existing file as it was;
 * a path that exists and is not a regular file (/dev/null, a pipe) is
 * written directly.
 */
#include "cli/commands.h"
#include "util/err.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int cli_output_open(struct cli_output *o, const char *path)
{
	struct stat st;
	size_t n;

	memset(o, 0, sizeof(*o));
	o->path = path;
	if (!path) {
		o->f = stdout;
		return 0;
	}
	if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
		o->f = fopen(path, "w");
		if (!o->f)
			return pyro_err_set(errno, "cannot open %s: %s", path, strerror(errno));
		return 0;
	}
	n = strlen(path) + 32;
	o->tmp = malloc(n);
	if (!o->tmp)
		return pyro_err_set(ENOMEM, "out of memory");
	snprintf(o->tmp, n, "%s.tmp-%d", path, (int)getpid());
	o->f = fopen(o->tmp, "w");
	if (!o->f) {
		int e = errno;

		pyro_err_set(e, "cannot create %s: %s", path, strerror(e));
		free(o->tmp);
		o->tmp = NULL;
		return -e;
	}
	return 0;
}

int cli_output_close(struct cli_output *o, int rc)
{
	if (!o->f)
		return rc;
	if (o->f == stdout) {
		if (fflush(stdout) != 0 && rc == 0)
			rc = pyro_err_set(EIO, "cannot write to standard output");
	} else if (fclose(o->f) != 0 && rc == 0) {
		rc = pyro_err_set(EIO, "cannot write %s", o->path);
	}
	o->f = NULL;
	if (o->tmp) {
		if (rc == 0 && rename(o->tmp, o->path) != 0)
			rc = pyro_err_set(errno, "cannot rename %s to %s: %s", o->tmp, o->path, strerror(errno));
		if (rc < 0)
			remove(o->tmp);
		free(o->tmp);
		o->tmp = NULL;
	}
	return rc;
}

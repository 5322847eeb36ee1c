/*
 * formats.c - the table of output formats, by name.
 */
#include "render/render.h"

#include <string.h>

static const struct {
	const char *name;
	pyro_render_fn fn;
	int binary;
} formats[] = {
	{ "text", pyro_render_text, 0 },
	{ "tree", pyro_render_tree, 0 },
	{ "lines", pyro_render_lines, 0 },
	{ "html", pyro_render_html, 0 },
	{ "speedscope", pyro_render_speedscope, 0 },
	{ "pstats", pyro_render_pstats, 1 },
	{ "pprof", pyro_render_pprof, 1 },
	{ "collapsed", pyro_render_collapsed, 0 },
	{ "chrome", pyro_render_chrome, 0 },
	{ "json", pyro_render_json, 0 },
};

pyro_render_fn pyro_render_find(const char *name, int *binary)
{
	size_t i;

	for (i = 0; i < sizeof(formats) / sizeof(formats[0]); i++)
		if (!strcmp(name, formats[i].name)) {
			if (binary)
				*binary = formats[i].binary;
			return formats[i].fn;
		}
	return NULL;
}

const char *pyro_render_names(void)
{
	return "text, tree, lines, html, speedscope, pstats, pprof, collapsed, chrome, json";
}

/*
 * sluicectl.c: main() of sluicectl, the admin CLI of sluiced.
 *
 *	sluicectl [OPTIONS] COMMAND [ARGS]
 *
 * Speaks Kafka Connect's REST API, by default over sluiced's admin Unix
 * socket (<state dir>/admin.sock), or to --url. Commands are modelled on
 * kcctl's (get, describe, apply, delete, pause, resume, stop, restart);
 * see usage() and README.md. This file parses the command line and picks
 * the command from a table; ctl_cmd.c runs it.
 *
 * Exit status: 0 success, 1 the server answered with an error (or an
 * answer sluicectl could not use), 2 bad usage or a bad input file, 3 the
 * server could not be reached.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "ctl_cmd.h"
#include "ctl_http.h"
#include "ctl_text.h"

enum exit_status {
	EXIT_OK = 0,
	EXIT_SERVER = 1,
	EXIT_USAGE = 2,
	EXIT_UNREACHABLE = 3,
};

/* Command options, beside enum ctl_flag, for the table's opts. */
#define CMD_OPT_FILE (1u << 8)

/* Longest password read from a prompt. */
#define PASSWORD_MAX 1024

struct command {
	const char *verb;
	const char *noun; /* NULL: none ("apply", "version") */
	const char *args; /* how the arguments read, for usage */
	int min_args;
	int max_args;
	unsigned opts; /* enum ctl_flag and CMD_OPT_* it accepts */
	ctl_cmd_fn *run;
	const char *summary;
	const char *help; /* more, for "COMMAND --help"; may be NULL */
};

static const struct command commands[] = {
    {"get", "connectors", "", 0, 0, 0, ctl_cmd_get_connectors,
     "list connectors with their type, state and tasks",
     "Table columns: NAME, TYPE, STATE, TASKS (\"ID: STATE\", comma "
     "separated).\n"
     "-o json prints the answer to GET /connectors?expand=status.\n"},
    {"get", "plugins", "[--all]", 0, 0, CTL_FLAG_ALL, ctl_cmd_get_plugins,
     "list connector plugins",
     "--all also lists converters, header converters, transforms and\n"
     "predicates (GET /connector-plugins?connectorsOnly=false).\n"
     "Table columns: TYPE, CLASS, VERSION.\n"},
    {"get", "offsets", "NAME", 1, 1, 0, ctl_cmd_get_offsets,
     "show the offsets of a connector",
     "Table columns: PARTITION, OFFSET, each as compact JSON (source\n"
     "connectors: their own partition and offset maps; sink connectors:\n"
     "kafka_topic, kafka_partition and kafka_offset).\n"
     "-o json prints the answer to GET /connectors/NAME/offsets.\n"},
    {"describe", "connector", "NAME", 1, 1, 0, ctl_cmd_describe_connector,
     "config, status, tasks and offsets",
     "Config values are shown as the server gives them (passwords as\n"
     "[hidden]); failed instances show their trace.\n"
     "-o json prints {\"info\": ..., \"status\": ..., \"offsets\": ...},\n"
     "the answers to GET /connectors/NAME, .../status and .../offsets.\n"},
    {"apply", NULL, "-f FILE", 0, 0, CMD_OPT_FILE, ctl_cmd_apply,
     "create a connector, or update its config",
     "FILE is JSON, {\"name\": ..., \"config\": {...}} (optionally with\n"
     "\"initial_state\": RUNNING, PAUSED or STOPPED, used when the\n"
     "connector is created) or a flat map with \"name\", or a Java\n"
     ".properties file that sets name; - reads standard input. The\n"
     "connector is created or updated with PUT /connectors/NAME/config.\n"},
    {"delete", "connector", "NAME", 1, 1, 0, ctl_cmd_delete_connector,
     "delete a connector", NULL},
    {"pause", "connector", "NAME", 1, 1, 0, ctl_cmd_pause_connector,
     "pause a connector and its tasks", NULL},
    {"resume", "connector", "NAME", 1, 1, 0, ctl_cmd_resume_connector,
     "resume a paused or stopped connector", NULL},
    {"stop", "connector", "NAME", 1, 1, 0, ctl_cmd_stop_connector,
     "stop a connector and its tasks",
     "A stopped connector keeps its config; its offsets can then be\n"
     "reset.\n"},
    {"restart", "connector", "NAME [--include-tasks] [--only-failed]", 1, 1,
     CTL_FLAG_INCLUDE_TASKS | CTL_FLAG_ONLY_FAILED, ctl_cmd_restart_connector,
     "restart a connector (and its tasks)",
     "--include-tasks restarts the tasks too; --only-failed restarts only\n"
     "the instances that are FAILED. With either, the server answers with\n"
     "the instances and their states (RESTARTING), shown as a table.\n"},
    {"restart", "task", "NAME ID", 1, 2, 0, ctl_cmd_restart_task,
     "restart one task of a connector",
     "The task can also be given as NAME/ID, as kcctl does.\n"},
    {"reset", "offsets", "NAME", 1, 1, 0, ctl_cmd_reset_offsets,
     "reset a stopped connector's offsets",
     "Runs DELETE /connectors/NAME/offsets; the connector must be\n"
     "STOPPED (see stop connector).\n"},
    {"version", NULL, "[--client]", 0, 0, CTL_FLAG_CLIENT, ctl_cmd_version,
     "versions of sluicectl and the server",
     "--client prints only sluicectl's and does not contact the "
     "server.\n"},
};

#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

enum {
	OPT_SOCKET = 256,
	OPT_URL,
	OPT_CACERT,
	OPT_TIMEOUT,
	OPT_ALL,
	OPT_INCLUDE_TASKS,
	OPT_ONLY_FAILED,
	OPT_CLIENT,
	OPT_NO_COLOR,
};

static const struct option long_opts[] = {
    {"output", required_argument, NULL, 'o'},
    {"socket", required_argument, NULL, OPT_SOCKET},
    {"url", required_argument, NULL, OPT_URL},
    {"cacert", required_argument, NULL, OPT_CACERT},
    {"insecure", no_argument, NULL, 'k'},
    {"user", required_argument, NULL, 'u'},
    {"timeout", required_argument, NULL, OPT_TIMEOUT},
    {"no-color", no_argument, NULL, OPT_NO_COLOR},
    {"file", required_argument, NULL, 'f'},
    {"all", no_argument, NULL, OPT_ALL},
    {"include-tasks", no_argument, NULL, OPT_INCLUDE_TASKS},
    {"only-failed", no_argument, NULL, OPT_ONLY_FAILED},
    {"client", no_argument, NULL, OPT_CLIENT},
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, 'V'},
    {NULL, 0, NULL, 0},
};

/* Names of the command options, for "does not apply" messages. */
static const struct {
	unsigned bit;
	const char *name;
} opt_names[] = {
    {CMD_OPT_FILE, "-f/--file"},
    {CTL_FLAG_ALL, "--all"},
    {CTL_FLAG_INCLUDE_TASKS, "--include-tasks"},
    {CTL_FLAG_ONLY_FAILED, "--only-failed"},
    {CTL_FLAG_CLIENT, "--client"},
};

struct cli {
	const char *output;
	const char *socket;
	const char *url;
	const char *cacert;
	const char *user; /* USER[:PASSWORD] */
	const char *file;
	bool insecure;
	bool no_color;
	bool help;
	bool version;
	long timeout_s;
	unsigned opts; /* command options given */
};

/* Mirrors sv_worker.c's default_state_dir: sluiced's state directory
 * when the worker config does not set sluice.state.dir. */
static char *default_state_dir(void)
{
	const char *xdg = getenv("XDG_STATE_HOME");
	const char *home = getenv("HOME");
	char *p = NULL, *real;

	if (geteuid() == 0)
		return strdup("/var/lib/sluice");
	if (xdg && *xdg) {
		if (asprintf(&p, "%s/sluice", xdg) < 0)
			return NULL;
		/* sluiced resolves "/../" the same way */
		if (strstr(p, "/../") && (real = realpath(p, NULL))) {
			free(p);
			return real;
		}
		return p;
	}
	if (home && *home && asprintf(&p, "%s/.local/state/sluice", home) > 0)
		return p;
	return strdup("/tmp/sluice-state");
}

static char *default_socket(void)
{
	char *dir = default_state_dir(), *p = NULL;

	if (dir && asprintf(&p, "%s/admin.sock", dir) < 0)
		p = NULL;
	free(dir);
	return p;
}

static void print_commands(FILE *f, const char *verb)
{
	char line[128];

	for (size_t i = 0; i < NCOMMANDS; i++) {
		const struct command *c = &commands[i];

		if (verb && strcmp(verb, c->verb) != 0)
			continue;
		snprintf(line, sizeof(line), "%s%s%s%s%s", c->verb,
		         c->noun ? " " : "", c->noun ? c->noun : "",
		         *c->args ? " " : "", c->args);
		if (strlen(line) > 24)
			fprintf(f, "  %s\n  %-24s  %s\n", line, "", c->summary);
		else
			fprintf(f, "  %-24s  %s\n", line, c->summary);
	}
}

static void usage(FILE *f)
{
	char *sock = default_socket();

	fprintf(f, "usage: sluicectl [OPTIONS] COMMAND [ARGS]\n"
	           "\n"
	           "Administers a running sluiced through Kafka Connect's REST "
	           "API, by default\n"
	           "over its admin socket.\n"
	           "\n"
	           "Commands:\n");
	print_commands(f, NULL);
	fprintf(f,
	        "\n"
	        "Options (anywhere on the line; -- ends them):\n"
	        "  -o, --output FORMAT    table (default) or json (the "
	        "server's answer as is)\n"
	        "      --socket PATH      sluiced's admin socket (default "
	        "$SLUICE_ADMIN_SOCKET,\n"
	        "                         else %s)\n"
	        "      --url URL          a REST listener instead, "
	        "http://HOST:PORT or\n"
	        "                         https://HOST:PORT (default "
	        "$SLUICE_URL)\n"
	        "      --cacert FILE      CA certificates (PEM) to check an "
	        "https server with\n"
	        "  -k, --insecure         do not check the https server's "
	        "certificate\n"
	        "  -u, --user USER[:PASSWORD]\n"
	        "                         HTTP Basic authentication (default "
	        "$SLUICE_USER); the\n"
	        "                         password, if not given, comes from "
	        "$SLUICE_PASSWORD,\n"
	        "                         else from a prompt on the terminal\n"
	        "      --timeout SECONDS  give up on a request after this "
	        "long (default 120;\n"
	        "                         0: never)\n"
	        "      --no-color         no colours (neither with NO_COLOR "
	        "set, nor when\n"
	        "                         stdout is not a terminal)\n"
	        "  -h, --help             this help; COMMAND --help: that "
	        "command's\n"
	        "  -V, --version          sluicectl's version\n"
	        "\n"
	        "Exit status: 0 success, 1 the server answered with an error, "
	        "2 bad usage or\n"
	        "input file, 3 the server could not be reached.\n",
	        sock ? sock : "<state dir>/admin.sock");
	free(sock);
}

static void command_help(FILE *f, const struct command *c)
{
	fprintf(f, "usage: sluicectl [OPTIONS] %s%s%s%s%s\n\n%s.\n", c->verb,
	        c->noun ? " " : "", c->noun ? c->noun : "", *c->args ? " " : "",
	        c->args, c->summary);
	if (c->help)
		fprintf(f, "\n%s", c->help);
	fprintf(f, "\nSee sluicectl --help for the connection and output "
	           "options.\n");
}

/* "connector" names "connectors" too, and the other way round. */
static bool noun_matches(const char *want, const char *given)
{
	size_t w = strlen(want), g = strlen(given);

	if (strcmp(want, given) == 0)
		return true;
	if (g == w + 1 && given[w] == 's' && strncmp(want, given, w) == 0)
		return true;
	return w == g + 1 && want[g] == 's' && strncmp(want, given, g) == 0;
}

static bool verb_known(const char *verb)
{
	for (size_t i = 0; i < NCOMMANDS; i++) {
		if (strcmp(commands[i].verb, verb) == 0)
			return true;
	}
	return false;
}

/*
 * Finds the command named by pos[0..] (verb, then noun if it has one);
 * sets *used to the words it took. NULL when there is none (a message is
 * printed unless quiet).
 */
static const struct command *find_command(char **pos, int npos, int *used,
                                          bool quiet)
{
	const struct command *verb_only = NULL;

	if (npos == 0)
		return NULL;
	for (size_t i = 0; i < NCOMMANDS; i++) {
		const struct command *c = &commands[i];

		if (strcmp(c->verb, pos[0]) != 0)
			continue;
		if (!c->noun) {
			*used = 1;
			return c;
		}
		verb_only = c;
		if (npos >= 2 && noun_matches(c->noun, pos[1])) {
			*used = 2;
			return c;
		}
	}
	if (quiet)
		return NULL;
	fputs("sluicectl: ", stderr);
	if (!verb_only) {
		fputs("unknown command \"", stderr);
		ctl_text_print(stderr, pos[0]);
		fputs("\"\n", stderr);
	} else {
		if (npos >= 2) {
			ctl_text_print(stderr, pos[0]);
			fputs(": unknown resource \"", stderr);
			ctl_text_print(stderr, pos[1]);
			fputs("\"; one of:\n", stderr);
		} else {
			ctl_text_print(stderr, pos[0]);
			fputs(": what? one of:\n", stderr);
		}
		print_commands(stderr, pos[0]);
	}
	fputs("Run sluicectl --help for the commands.\n", stderr);
	return NULL;
}

static int parse_timeout(const char *s, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < 0 || v > 86400)
		return -EINVAL;
	*out = v;
	return 0;
}

/*
 * Reads a password from the controlling terminal without echo. Returns a
 * new string, or NULL when there is no terminal or on error. Only when
 * stdin is a terminal too, so that a script never hangs on a prompt.
 */
static char *prompt_password(const char *user)
{
	struct termios old, quiet;
	char buf[PASSWORD_MAX + 2], *nl, *pw = NULL;
	ssize_t n = 0, r;
	int fd;

	if (!isatty(STDIN_FILENO))
		return NULL;
	fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (fd == -1)
		return NULL;
	if (tcgetattr(fd, &old) == -1)
		goto out_close;
	quiet = old;
	quiet.c_lflag &= ~(tcflag_t)ECHO;
	dprintf(fd, "Password for ");
	for (const char *p = user; *p; p++) {
		/* the user name came from the command line: no escapes */
		if ((unsigned char)*p >= 0x20 && *p != 0x7f)
			(void)!write(fd, p, 1);
	}
	dprintf(fd, ": ");
	if (tcsetattr(fd, TCSAFLUSH, &quiet) == -1)
		goto out_close;
	while (n < (ssize_t)sizeof(buf) - 1) {
		r = read(fd, buf + n, 1);
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0 || buf[n] == '\n')
			break;
		n++;
	}
	buf[n] = '\0';
	tcsetattr(fd, TCSAFLUSH, &old);
	dprintf(fd, "\n");
	if ((nl = strchr(buf, '\r')))
		*nl = '\0';
	if (n <= PASSWORD_MAX)
		pw = strdup(buf);
	explicit_bzero(buf, sizeof(buf));
out_close:
	close(fd);
	return pw;
}

/*
 * Splits USER[:PASSWORD] into opts; the password, when not given, comes
 * from SLUICE_PASSWORD or a prompt. *user_buf and *pass_buf are the
 * caller's to free (and wipe). Returns 0 or -EINVAL with a message.
 */
static int setup_auth(const char *userpwd, struct ctl_http_opts *opts,
                      char **user_buf, char **pass_buf)
{
	const char *colon = strchr(userpwd, ':');
	const char *env = getenv("SLUICE_PASSWORD");

	*user_buf = colon ? strndup(userpwd, colon - userpwd) : strdup(userpwd);
	if (!*user_buf)
		return -ENOMEM;
	if (!**user_buf) {
		fprintf(stderr, "sluicectl: --user: empty user name\n");
		return -EINVAL;
	}
	if (colon)
		*pass_buf = strdup(colon + 1);
	else if (env)
		*pass_buf = strdup(env);
	else
		*pass_buf = prompt_password(*user_buf);
	if (!*pass_buf) {
		fputs("sluicectl: no password for user \"", stderr);
		ctl_text_print(stderr, *user_buf);
		fputs("\": give --user USER:PASSWORD or set SLUICE_PASSWORD\n",
		      stderr);
		return -EINVAL;
	}
	opts->user = *user_buf;
	opts->password = *pass_buf;
	return 0;
}

static void wipe_free(char *s)
{
	if (s)
		explicit_bzero(s, strlen(s));
	free(s);
}

/* Parses the options into cli; returns 0, or -EINVAL after printing
 * what was wrong. */
static int parse_options(int argc, char **argv, struct cli *cli)
{
	int c;

	while ((c = getopt_long(argc, argv, "o:f:ku:hV", long_opts, NULL)) !=
	       -1) {
		switch (c) {
		case 'o':
			cli->output = optarg;
			break;
		case OPT_SOCKET:
			cli->socket = optarg;
			break;
		case OPT_URL:
			cli->url = optarg;
			break;
		case OPT_CACERT:
			cli->cacert = optarg;
			break;
		case 'k':
			cli->insecure = true;
			break;
		case 'u':
			cli->user = optarg;
			break;
		case OPT_TIMEOUT:
			if (parse_timeout(optarg, &cli->timeout_s)) {
				fprintf(stderr,
				        "sluicectl: --timeout: expected "
				        "seconds from 0 to 86400\n");
				return -EINVAL;
			}
			break;
		case OPT_NO_COLOR:
			cli->no_color = true;
			break;
		case 'f':
			if (cli->file) {
				fprintf(stderr, "sluicectl: -f given twice\n");
				return -EINVAL;
			}
			cli->file = optarg;
			cli->opts |= CMD_OPT_FILE;
			break;
		case OPT_ALL:
			cli->opts |= CTL_FLAG_ALL;
			break;
		case OPT_INCLUDE_TASKS:
			cli->opts |= CTL_FLAG_INCLUDE_TASKS;
			break;
		case OPT_ONLY_FAILED:
			cli->opts |= CTL_FLAG_ONLY_FAILED;
			break;
		case OPT_CLIENT:
			cli->opts |= CTL_FLAG_CLIENT;
			break;
		case 'h':
			cli->help = true;
			break;
		case 'V':
			cli->version = true;
			break;
		default:
			/* getopt_long said what was wrong */
			return -EINVAL;
		}
	}
	if (cli->output && strcmp(cli->output, "table") != 0 &&
	    strcmp(cli->output, "json") != 0) {
		fputs("sluicectl: -o: expected table or json, not \"", stderr);
		ctl_text_print(stderr, cli->output);
		fputs("\"\n", stderr);
		return -EINVAL;
	}
	if (cli->socket && cli->url) {
		fprintf(stderr,
		        "sluicectl: give --socket or --url, not both\n");
		return -EINVAL;
	}
	return 0;
}

/* Prints "sluicectl: MESSAGE", one line per line of the message, made
 * safe for the terminal. */
static void print_error(const struct ctl_ctx *ctx, int rc)
{
	char *clean =
	    ctl_text_clean(ctx->err[0] ? ctx->err : strerror(-rc), true);
	char *line, *save = NULL;
	bool first = true;

	if (!clean) {
		fprintf(stderr, "sluicectl: %s\n", strerror(-rc));
		return;
	}
	for (line = strtok_r(clean, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		if (first && rc == -EREMOTEIO)
			fprintf(stderr, "sluicectl: error %d: %s\n",
			        ctx->error_code, line);
		else if (first)
			fprintf(stderr, "sluicectl: %s\n", line);
		else
			fprintf(stderr, "  %s\n", line);
		first = false;
	}
	if (first)
		fprintf(stderr, "sluicectl: %s\n", strerror(-rc));
	free(clean);
}

static int exit_status(int rc)
{
	switch (rc) {
	case 0:
		return EXIT_OK;
	case -EINVAL:
		return EXIT_USAGE;
	case -ENOTCONN:
		return EXIT_UNREACHABLE;
	default:
		return EXIT_SERVER;
	}
}

int main(int argc, char **argv)
{
	struct cli cli = {.timeout_s = 120};
	struct ctl_http_opts hopts = {0};
	struct ctl_ctx *ctx = NULL;
	const struct command *cmd;
	const char *color_env = getenv("NO_COLOR"), *term = getenv("TERM");
	char *sock = NULL, *user_buf = NULL, *pass_buf = NULL;
	char **pos, err[512];
	int npos, used = 0, rc, status = EXIT_USAGE;
	bool server;

	if (parse_options(argc, argv, &cli)) {
		fprintf(stderr, "Run sluicectl --help for usage.\n");
		return EXIT_USAGE;
	}
	pos = argv + optind;
	npos = argc - optind;
	if (cli.version) {
		printf("sluicectl %s\n", SLUICE_VERSION);
		return fflush(stdout) == 0 ? EXIT_OK : EXIT_SERVER;
	}
	if (npos > 0 && strcmp(pos[0], "help") == 0) {
		cli.help = true;
		pos++;
		npos--;
	}
	if (cli.help) {
		/* help for as much of the command as was given */
		cmd = find_command(pos, npos, &used, true);
		if (cmd)
			command_help(stdout, cmd);
		else if (npos > 0 && verb_known(pos[0])) {
			printf("usage: sluicectl [OPTIONS] %s ...\n\n"
			       "Commands:\n",
			       pos[0]);
			print_commands(stdout, pos[0]);
			printf("\nSee sluicectl --help for the connection "
			       "and output options.\n");
		} else
			usage(stdout);
		return fflush(stdout) == 0 ? EXIT_OK : EXIT_SERVER;
	}
	if (npos == 0) {
		usage(stderr);
		return EXIT_USAGE;
	}
	cmd = find_command(pos, npos, &used, false);
	if (!cmd)
		return EXIT_USAGE;
	pos += used;
	npos -= used;
	if (npos < cmd->min_args || npos > cmd->max_args) {
		fprintf(stderr, "sluicectl: %s%s%s: %s\n", cmd->verb,
		        cmd->noun ? " " : "", cmd->noun ? cmd->noun : "",
		        npos < cmd->min_args ? "missing arguments"
		                             : "too many arguments");
		fprintf(stderr, "usage: sluicectl %s%s%s%s%s\n", cmd->verb,
		        cmd->noun ? " " : "", cmd->noun ? cmd->noun : "",
		        *cmd->args ? " " : "", cmd->args);
		return EXIT_USAGE;
	}
	for (size_t i = 0; i < sizeof(opt_names) / sizeof(opt_names[0]); i++) {
		if ((cli.opts & opt_names[i].bit) &&
		    !(cmd->opts & opt_names[i].bit)) {
			fprintf(stderr,
			        "sluicectl: %s does not apply to \"%s%s%s\"\n",
			        opt_names[i].name, cmd->verb,
			        cmd->noun ? " " : "",
			        cmd->noun ? cmd->noun : "");
			return EXIT_USAGE;
		}
	}
	if ((cmd->opts & CMD_OPT_FILE) && !cli.file) {
		fprintf(stderr, "sluicectl: %s needs -f FILE (- for stdin)\n",
		        cmd->verb);
		return EXIT_USAGE;
	}

	ctx = calloc(1, sizeof(*ctx));
	if (!ctx) {
		fprintf(stderr, "sluicectl: out of memory\n");
		return EXIT_SERVER;
	}
	ctx->json = cli.output && strcmp(cli.output, "json") == 0;
	ctx->color = !ctx->json && !cli.no_color && isatty(STDOUT_FILENO) &&
	             !(color_env && *color_env) &&
	             !(term && strcmp(term, "dumb") == 0);
	ctx->flags = cli.opts & ~CMD_OPT_FILE;
	ctx->file = cli.file;
	server = !(cmd->run == ctl_cmd_version && (cli.opts & CTL_FLAG_CLIENT));

	if (ctl_http_global_init()) {
		fprintf(stderr, "sluicectl: cannot initialise libcurl\n");
		status = EXIT_SERVER;
		goto out;
	}
	if (server) {
		/* --socket, --url, then the environment, then the
		 * default socket */
		if (!cli.socket && !cli.url) {
			cli.socket = getenv("SLUICE_ADMIN_SOCKET");
			if (cli.socket && !*cli.socket)
				cli.socket = NULL;
			if (!cli.socket)
				cli.url = getenv("SLUICE_URL");
			if (cli.url && !*cli.url)
				cli.url = NULL;
		}
		if (!cli.socket && !cli.url) {
			if (!(sock = default_socket())) {
				fprintf(stderr, "sluicectl: out of memory\n");
				status = EXIT_SERVER;
				goto out_curl;
			}
			cli.socket = sock;
		}
		hopts.socket_path = cli.socket;
		hopts.url = cli.socket ? NULL : cli.url;
		hopts.cacert = cli.cacert;
		hopts.insecure = cli.insecure;
		hopts.timeout_s = cli.timeout_s;
		hopts.connect_timeout_s =
		    cli.timeout_s && cli.timeout_s < 10 ? cli.timeout_s : 10;
		if (!cli.user)
			cli.user = getenv("SLUICE_USER");
		if (cli.user && *cli.user &&
		    (rc = setup_auth(cli.user, &hopts, &user_buf, &pass_buf))) {
			status = rc == -EINVAL ? EXIT_USAGE : EXIT_SERVER;
			goto out_curl;
		}
		ctx->http = ctl_http_new(&hopts, err, sizeof(err));
		if (!ctx->http) {
			fputs("sluicectl: ", stderr);
			ctl_text_print(stderr, err);
			fputc('\n', stderr);
			status = errno == EINVAL ? EXIT_USAGE : EXIT_SERVER;
			goto out_curl;
		}
	}

	rc = cmd->run(ctx, pos, npos);
	/* stdout first, so that the error comes after what was printed */
	if (fflush(stdout) != 0 && rc == 0) {
		snprintf(ctx->err, sizeof(ctx->err),
		         "cannot write the output: %s", strerror(errno));
		rc = -EIO;
	}
	if (rc)
		print_error(ctx, rc);
	status = exit_status(rc);
	ctl_http_free(ctx->http);
out_curl:
	ctl_http_global_fini();
out:
	wipe_free(user_buf);
	wipe_free(pass_buf);
	free(sock);
	free(ctx);
	return status;
}

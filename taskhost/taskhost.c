/*
 * taskhost.c: main() of sluice-taskhost, the process that runs one
 * connector instance or task of one plugin for sluiced.
 *
 *	sluice-taskhost --connect URL --plugin PATH [sandbox options]
 *	sluice-taskhost --describe PATH [sandbox options]
 *
 * sluiced starts it with fork+exec, an empty environment, stdin on
 * /dev/null and stdout/stderr on a pipe it reads into its own log. The
 * sandbox goes on first, then the channel is dialled; nothing of the
 * plugin runs before both.
 */
#include <errno.h>
#include <getopt.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto.h"
#include "th_ipc.h"
#include "th_plugin.h"
#include "th_sandbox.h"
#include "th_task.h"

static void usage(FILE *f)
{
	fprintf(f,
	        "usage: sluice-taskhost --connect URL --plugin PATH [options]\n"
	        "       sluice-taskhost --describe PATH [options]\n"
	        "Runs one sluice connector instance or task; started by "
	        "sluiced.\n"
	        "  --connect URL      the supervisor's ipc:// channel\n"
	        "  --plugin PATH      the plugin shared object\n"
	        "  --describe PATH    print the plugin's description as JSON "
	        "and exit\n"
	        "  --sandbox MODE     default, or none (unconfined, for "
	        "debugging)\n"
	        "  --task-dir DIR     the task's writable directory\n"
	        "  --read PATH        grant read access (repeatable)\n"
	        "  --write PATH       grant write access (repeatable)\n"
	        "  --connect-to H:P   grant TCP connections to host:port "
	        "(repeatable;\n"
	        "                     none: no network at all)\n"
	        "  --cgroup DIR       join this cgroup first (repeatable)\n"
	        "  --memory-max N     address space limit in bytes\n"
	        "  --nofile N         open file limit\n"
	        "  --pids-max N       process and thread limit\n"
	        "  --fsize N          file size limit in bytes\n"
	        "  --task-size N      size of the task dir in bytes\n"
	        "  --batch-region SLOTS:SIZE\n"
	        "                     descriptor 3 is a source task's batch\n"
	        "                     region shared with sluiced\n"
	        "  --version, --help\n");
}

static int parse_u64(const char *s, uint64_t *v)
{
	char *end;
	unsigned long long n;

	errno = 0;
	n = strtoull(s, &end, 10);
	if (errno || end == s || *end || *s == '-')
		return -EINVAL;
	*v = n;
	return 0;
}

static struct th_ipc *report_ipc;

/*
 * The sandbox refused a system call (th_sandbox.h): the task's last word
 * to sluiced, from the sandbox's reporter thread (th_ipc_send is
 * thread-safe). A config failure: it is not retried, since the plugin
 * would do the same again.
 */
static void report_violation(const char *msg)
{
	msgpack_sbuffer sb;
	msgpack_packer pk;

	if (!report_ipc || !report_ipc->open)
		return;
	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	if (proto_failed_pack(&pk, PROTO_FAIL_CONFIG, msg, msg) == 0)
		th_ipc_send(report_ipc, &sb);
	msgpack_sbuffer_destroy(&sb);
}

static int add_path(const char **v, size_t *n, const char *p)
{
	if (*n == TH_SANDBOX_PATHS_MAX)
		return -E2BIG;
	v[(*n)++] = p;
	return 0;
}

static int describe(const struct th_sandbox_ops *sb,
                    struct th_sandbox_spec *spec, const char *path)
{
	struct th_plugin pl = {0};
	char err[1024];
	json_t *j;
	char *s;

	if (sb->lock(spec, err, sizeof(err))) {
		fprintf(stderr, "TH-SANDBOX-FAILED %s\n", err);
		return TH_EXIT_TEMPORARY;
	}
	if (th_plugin_load(path, &pl, err, sizeof(err))) {
		fprintf(stderr, "TH-PLUGIN-REJECTED %s\n", err);
		return TH_EXIT_PERMANENT;
	}
	j = th_plugin_describe(&pl);
	s = j ? json_dumps(j, JSON_COMPACT) : NULL;
	if (!s) {
		fprintf(stderr, "TH-DESCRIBE-FAILED %s: out of memory\n", path);
		json_decref(j);
		th_plugin_unload(&pl);
		return TH_EXIT_TEMPORARY;
	}
	printf("%s\n", s);
	free(s);
	json_decref(j);
	th_plugin_unload(&pl);
	return fflush(stdout) == 0 ? TH_EXIT_OK : TH_EXIT_TEMPORARY;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"connect", required_argument, NULL, 'c'},
	    {"plugin", required_argument, NULL, 'p'},
	    {"describe", required_argument, NULL, 'd'},
	    {"sandbox", required_argument, NULL, 's'},
	    {"task-dir", required_argument, NULL, 't'},
	    {"read", required_argument, NULL, 'r'},
	    {"write", required_argument, NULL, 'w'},
	    {"memory-max", required_argument, NULL, 'm'},
	    {"nofile", required_argument, NULL, 'n'},
	    {"fsize", required_argument, NULL, 'f'},
	    {"connect-to", required_argument, NULL, 'C'},
	    {"cgroup", required_argument, NULL, 'g'},
	    {"pids-max", required_argument, NULL, 'P'},
	    {"task-size", required_argument, NULL, 'T'},
	    {"batch-region", required_argument, NULL, 'B'},
	    {"version", no_argument, NULL, 'V'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct th_sandbox_spec spec = {.mode = "default"};
	const struct th_sandbox_ops *sb;
	const char *url = NULL, *describe_path = NULL, *region = NULL;
	struct th_ipc ipc = {0};
	char err[1024];
	int c, rc;

	/* Frames and batches of up to a few MiB come and go all the time:
	 * keep them on the heap instead of a fresh mmap (and page faults)
	 * each time. An idle task allocates nothing of that size. */
	mallopt(M_MMAP_THRESHOLD, 4 << 20);
	mallopt(M_TRIM_THRESHOLD, 8 << 20);
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			url = optarg;
			break;
		case 'p':
			spec.plugin = optarg;
			break;
		case 'd':
			describe_path = spec.plugin = optarg;
			break;
		case 's':
			spec.mode = optarg;
			break;
		case 't':
			spec.task_dir = optarg;
			break;
		case 'r':
			if (add_path(spec.read, &spec.nread, optarg))
				goto out_usage;
			break;
		case 'w':
			if (add_path(spec.write, &spec.nwrite, optarg))
				goto out_usage;
			break;
		case 'C':
			if (add_path(spec.connect, &spec.nconnect, optarg))
				goto out_usage;
			break;
		case 'g':
			if (spec.ncgroup ==
			    sizeof(spec.cgroup) / sizeof(spec.cgroup[0]))
				goto out_usage;
			spec.cgroup[spec.ncgroup++] = optarg;
			break;
		case 'P':
			if (parse_u64(optarg, &spec.nproc))
				goto out_usage;
			break;
		case 'T':
			if (parse_u64(optarg, &spec.task_size))
				goto out_usage;
			break;
		case 'B':
			region = optarg;
			break;
		case 'm':
			if (parse_u64(optarg, &spec.memory_max))
				goto out_usage;
			break;
		case 'n':
			if (parse_u64(optarg, &spec.nofile))
				goto out_usage;
			break;
		case 'f':
			if (parse_u64(optarg, &spec.fsize))
				goto out_usage;
			break;
		case 'V':
			printf("sluice-taskhost %s (protocol %d)\n",
			       SLUICE_VERSION, PROTO_VERSION);
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			goto out_usage;
		}
	}
	if (optind != argc || (!url && !describe_path) ||
	    (url && describe_path) || (url && !spec.plugin))
		goto out_usage;
	if (url && strncmp(url, "ipc://", 6) == 0)
		spec.ipc_path = url + 6;
	if (!(sb = th_sandbox_find(spec.mode))) {
		fprintf(stderr, "TH-SANDBOX-UNKNOWN unknown sandbox mode %s\n",
		        spec.mode);
		return TH_EXIT_PERMANENT;
	}
	signal(SIGPIPE, SIG_IGN);
	/* the batch region (descriptor 3) is mapped before the sandbox and
	 * its descriptor closed: the task keeps the mapping only */
	if (region && th_ipc_region_map(&ipc, region, 3, err, sizeof(err))) {
		fprintf(stderr, "TH-REGION-FAILED %s\n", err);
		return TH_EXIT_TEMPORARY;
	}
	/* single-threaded here: namespaces and Landlock need that */
	if ((rc = sb->enter(&spec, err, sizeof(err)))) {
		fprintf(stderr,
		        "TH-SANDBOX-FAILED cannot set up the sandbox: %s\n",
		        err);
		/* a granted path that is not there yet may be later */
		return rc == -ENOENT ? TH_EXIT_TEMPORARY : TH_EXIT_PERMANENT;
	}
	if (describe_path)
		return describe(sb, &spec, describe_path);
	if (th_ipc_open(&ipc, url, err, sizeof(err))) {
		fprintf(stderr, "TH-IPC-FAILED %s\n", err);
		return TH_EXIT_TEMPORARY;
	}
	report_ipc = &ipc;
	spec.report = report_violation;
	rc = th_task_run(&ipc, sb, &spec);
	th_ipc_finish(&ipc, rc, 5000);
	th_ipc_close(&ipc);
	return rc;
out_usage:
	usage(stderr);
	return 2;
}

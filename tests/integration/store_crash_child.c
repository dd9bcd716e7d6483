/*
 * store_crash_child - the process the store crash test kills.
 *
 *   store_crash_child TARGET ROOM SEED
 *
 * Appends batches of events to ROOM (continuing after the stored last
 * seq), and after each append returns prints "ack SEQ" with the batch's
 * last seq: from then on those events are promised durable.  Runs until
 * it is killed.  Each event's payload is a function of its seq, so the
 * test can check every acknowledged event after a reopen.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store.h"

int
main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: store_crash_child TARGET ROOM SEED\n");
		return 2;
	}
	struct st_store *st = NULL;
	char err[ST_ERRMSG_MAX];
	if (st_open(argv[1], &st, err, sizeof(err)) != TC_OK) {
		fprintf(stderr, "store_crash_child: %s\n", err);
		return 1;
	}
	uint64_t last = 0;
	if (st_events_last_seq(st, argv[2], &last) != TC_OK)
		return 1;
	srand((unsigned)strtoul(argv[3], NULL, 10));
	static char text[64][64];
	struct st_event evs[64];
	for (;;) {
		int n = 1 + rand() % 64;
		for (int i = 0; i < n; i++) {
			uint64_t seq = last + 1 + (uint64_t)i;
			snprintf(text[i], sizeof(text[i]), "event %llu of the crash test",
			    (unsigned long long)seq);
			evs[i] = (struct st_event){.seq = seq,
			    .ts_ms = (int64_t)seq,
			    .type = seq % 5 == 0 ? ST_EV_CHAT : ST_EV_YJS,
			    .len = (uint32_t)strlen(text[i]),
			    .payload = (const uint8_t *)text[i]};
		}
		enum tc_err rv = st_events_append(st, argv[2], evs, (size_t)n);
		if (rv == TC_EEXIST) {
			/* A killed predecessor's last commit landed after we read
			 * the head: continue after it. */
			if (st_events_last_seq(st, argv[2], &last) != TC_OK)
				return 1;
			continue;
		}
		if (rv != TC_OK) {
			st_last_error(st, err, sizeof(err));
			fprintf(stderr, "store_crash_child: append: %s: %s\n", tc_errname(rv), err);
			return 1;
		}
		last += (uint64_t)n;
		printf("ack %llu\n", (unsigned long long)last);
		fflush(stdout);
	}
}

/*
 * actors/protocol.h - the one source of truth for the room protocol's
 * numbers: WebSocket frame types, error and close codes, and the actor
 * message types between sessions, rooms and runners.  docs/protocol.md is
 * kept beside this header.  Numbers are stable; add, never renumber.
 *
 * The gateway includes this header (it defines no code) so that sessions
 * and rooms agree on the wire without the gateway linking the actors.
 */
#ifndef ACTORS_PROTOCOL_H
#define ACTORS_PROTOCOL_H

/* WebSocket frame types: the first varUint of every binary frame. */
enum room_frame {
	ROOM_FRAME_SYNC = 0,            /* y-protocols sync (step 1, step 2, update) */
	ROOM_FRAME_AWARENESS = 1,       /* y-protocols awareness update */
	ROOM_FRAME_QUERY_AWARENESS = 3, /* y-protocols query awareness */
	ROOM_FRAME_STATE = 100,         /* msgpack map: the room's state */
	ROOM_FRAME_CHAT = 101,          /* msgpack map: a chat line */
	ROOM_FRAME_RUN = 102,           /* msgpack map: run this code */
	ROOM_FRAME_RUN_PROGRESS = 103,  /* msgpack map: a run's progress */
	ROOM_FRAME_VERDICT = 104,       /* msgpack map: a run's verdict */
	ROOM_FRAME_ERROR = 105,         /* msgpack map: {code, message} */
};

/* y-protocols sync subtypes. */
enum room_sync {
	ROOM_SYNC_STEP1 = 0,
	ROOM_SYNC_STEP2 = 1,
	ROOM_SYNC_UPDATE = 2,
};

/* Error codes carried in ROOM_FRAME_ERROR {code}. */
#define ROOM_ERR_BAD_FRAME "BAD_FRAME"
#define ROOM_ERR_BAD_UPDATE "BAD_UPDATE"
#define ROOM_ERR_READ_ONLY "READ_ONLY"
#define ROOM_ERR_RATE_LIMITED "RATE_LIMITED"
#define ROOM_ERR_TOO_LARGE "TOO_LARGE"
#define ROOM_ERR_RUN_BUSY "RUN_BUSY"
#define ROOM_ERR_RUN_REJECTED "RUN_REJECTED"
#define ROOM_ERR_ROOM_FULL "ROOM_FULL"

/* WebSocket close codes. */
enum room_close {
	ROOM_CLOSE_TOO_LARGE = 1009,
	ROOM_CLOSE_UNAUTHORIZED = 4001,
	ROOM_CLOSE_FORBIDDEN_ORIGIN = 4003,
	ROOM_CLOSE_NO_ROOM = 4004,
	ROOM_CLOSE_POLICY = 4008,
	ROOM_CLOSE_SLOW_READER = 4010,
	ROOM_CLOSE_ROOM_FULL = 4029,
};

/* Member roles. */
#define ROOM_ROLE_EDITOR "editor"
#define ROOM_ROLE_OBSERVER "observer"
#define ROOM_MAX_EDITORS 2

/*
 * Actor message types (struct tc_msg.type) between the application actors.
 * Bodies are msgpack; "frame" bodies are one WebSocket frame, verbatim.
 */
enum app_msg {
	/* session -> room */
	ROOM_MSG_JOIN = 1000,  /* {user, name, role}: a connection joins */
	ROOM_MSG_FRAME = 1001, /* a client frame, verbatim */
	ROOM_MSG_LEAVE = 1002, /* empty: the connection closed */

	/* room -> itself (timers; never sent by others) */
	ROOM_MSG_IDLE = 1010,         /* the idle timer: [generation] */
	ROOM_MSG_RESEND = 1011,       /* resend events the recorder could not take yet */
	ROOM_MSG_RUN_DEADLINE = 1012, /* a run got no verdict in time: [generation] */

	/* room -> session */
	SESSION_MSG_FRAME = 1100, /* a frame to send to the client, verbatim */
	SESSION_MSG_CLOSE = 1101, /* {code, reason}: close the connection */

	/* room <-> runner */
	RUNNER_MSG_RUN = 1200,      /* room -> runner: {run, room, user, problem, code, lang,
	                               attempt} */
	RUNNER_MSG_PROGRESS = 1201, /* runner -> room: {run, state, done, total} */
	RUNNER_MSG_VERDICT = 1202,  /* runner -> room: {run, result (JSON text)} */
	RUNNER_MSG_REJECTED = 1203, /* runner -> room: {run, message}: it will not run */
	RUNNER_MSG_READY = 1210,    /* runner slot -> dispatcher: empty, ready for a job */

	/* room <-> recorder (see actors/recorder.h) */
	RECORDER_MSG_BASE = 1300,
};

/* Registered actor names. */
#define ROOM_KIND "room"                 /* "room/<room id>": spawned on first message */
#define RUNNER_KIND "runner"             /* "runner/<n>" slots */
#define RUNNER_QUEUE_NAME "runner/queue" /* the FIFO dispatcher rooms send runs to */

#endif /* ACTORS_PROTOCOL_H */

/*
 * driver.c - a standalone driver for the fuzz targets, so they run as
 * ordinary tests without libFuzzer.
 *
 *   fuzz_NAME CORPUS_DIR [ITERATIONS [SEED]]
 *
 * Runs LLVMFuzzerTestOneInput over every file in CORPUS_DIR, then over
 * ITERATIONS (default 20000) pseudo-random mutations of them (bit flips,
 * byte sets, inserts, deletes, truncations, splices).  The seed is printed
 * so a failure can be replayed.  A target fails by crashing or aborting
 * (run it under ASan+UBSan to catch memory errors).
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_INPUT_MAX (1u << 20)

struct input {
	uint8_t *data;
	size_t len;
};

static uint64_t rng_state;

static uint64_t
rng(void)
{
	/* xorshift64* */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 2685821657736338717ull;
}

static size_t
load_corpus(const char *dir, struct input **out)
{
	DIR *d = opendir(dir);
	struct input *in = NULL;
	size_t n = 0;
	if (d == NULL) {
		fprintf(stderr, "fuzz: cannot open corpus %s\n", dir);
		exit(2);
	}
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		char path[4096];
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		FILE *f = fopen(path, "rb");
		if (f == NULL)
			continue;
		uint8_t *buf = malloc(FUZZ_INPUT_MAX);
		size_t len = buf != NULL ? fread(buf, 1, FUZZ_INPUT_MAX, f) : 0;
		fclose(f);
		struct input *grown = realloc(in, (n + 1) * sizeof(*in));
		if (buf == NULL || grown == NULL) {
			fprintf(stderr, "fuzz: out of memory\n");
			exit(2);
		}
		in = grown;
		in[n].data = buf;
		in[n].len = len;
		n++;
	}
	closedir(d);
	*out = in;
	return n;
}

static size_t
mutate(uint8_t *buf, size_t len, const struct input *corpus, size_t ncorpus)
{
	int rounds = 1 + (int)(rng() % 4);
	for (int r = 0; r < rounds; r++) {
		switch (rng() % 6) {
		case 0: /* flip a bit */
			if (len > 0)
				buf[rng() % len] ^= (uint8_t)(1u << (rng() % 8));
			break;
		case 1: /* set a byte to an interesting value */
			if (len > 0) {
				static const uint8_t vals[] = {0, 1, 0x7f, 0x80, 0xff, 0xfe};
				buf[rng() % len] = vals[rng() % sizeof(vals)];
			}
			break;
		case 2: /* insert a random byte */
			if (len < FUZZ_INPUT_MAX) {
				size_t at = len > 0 ? rng() % (len + 1) : 0;
				memmove(buf + at + 1, buf + at, len - at);
				buf[at] = (uint8_t)rng();
				len++;
			}
			break;
		case 3: /* delete a byte */
			if (len > 0) {
				size_t at = rng() % len;
				memmove(buf + at, buf + at + 1, len - at - 1);
				len--;
			}
			break;
		case 4: /* truncate */
			if (len > 0)
				len = rng() % len;
			break;
		default: /* splice in the tail of another input */
			if (ncorpus > 0) {
				const struct input *o = &corpus[rng() % ncorpus];
				if (o->len > 0) {
					size_t at = len > 0 ? rng() % len : 0;
					size_t from = rng() % o->len;
					size_t n = o->len - from;
					if (at + n > FUZZ_INPUT_MAX)
						n = FUZZ_INPUT_MAX - at;
					memcpy(buf + at, o->data + from, n);
					len = at + n;
				}
			}
			break;
		}
	}
	return len;
}

int
main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: %s CORPUS_DIR [ITERATIONS [SEED]]\n", argv[0]);
		return 2;
	}
	long iters = argc > 2 ? strtol(argv[2], NULL, 10) : 20000;
	uint64_t seed = argc > 3 ? strtoull(argv[3], NULL, 10) : (uint64_t)time(NULL);
	rng_state = seed != 0 ? seed : 88172645463325252ull;
	printf("fuzz: %s seed %llu\n", argv[0], (unsigned long long)seed);
	fflush(stdout);

	struct input *corpus = NULL;
	size_t n = load_corpus(argv[1], &corpus);
	LLVMFuzzerTestOneInput((const uint8_t *)"", 0);
	for (size_t i = 0; i < n; i++)
		LLVMFuzzerTestOneInput(corpus[i].data, corpus[i].len);
	uint8_t *buf = malloc(FUZZ_INPUT_MAX + 1);
	if (buf == NULL)
		return 2;
	for (long i = 0; i < iters; i++) {
		size_t len = 0;
		if (n > 0) {
			const struct input *base = &corpus[rng() % n];
			memcpy(buf, base->data, base->len);
			len = base->len;
		}
		len = mutate(buf, len, corpus, n);
		LLVMFuzzerTestOneInput(buf, len);
	}
	printf("fuzz: %zu corpus inputs and %ld mutations ran clean\n", n, iters);
	free(buf);
	for (size_t i = 0; i < n; i++)
		free(corpus[i].data);
	free(corpus);
	return 0;
}

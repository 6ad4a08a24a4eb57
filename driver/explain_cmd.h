/*
 * explain_cmd: `lagrace explain --json FILE --iteration N` tells the story
 * of iteration N of an earlier run from its --json document (FILE "-":
 * standard input), in the same words as that run's --explain would have:
 * the header, the story, the iteration's line. So a hit seen in CI can be
 * explained later, on another machine.
 */
#ifndef EXPLAIN_CMD_H
#define EXPLAIN_CMD_H

/* argv[0] is "explain". Exit status: 0, 1 (the document cannot be read
 * or lacks the iteration), 2 (usage). */
int explain_main(int argc, char **argv);

#endif

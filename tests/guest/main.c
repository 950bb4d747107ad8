// SPDX-License-Identifier: GPL-2.0
/* The guest test suite: every KTEST linked into this binary. */
#include "ktest.h"

int main(int argc, char **argv)
{
	return ktest_main(argc, argv);
}

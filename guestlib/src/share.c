/* SPDX-License-Identifier: MIT */
/*
 * guestlib/src/share.c: the guest side of sharing frames with other
 * guests: grants (EXO_HC_GRANT) and finding a guest by name
 * (EXO_HC_LOOKUP).
 *
 * What this guest was granted it reads from the exo page (page.c); here
 * are the calls. Blocks are static, in the image, and masked while in use,
 * as in hypercall.c.
 */
#include "exo/exo.h"

int64_t exo_grant(uint32_t grantee, const uint64_t *frames, uint32_t n, uint32_t op,
		  uint64_t *bad_index)
{
	static struct exo_hc_grant a;
	exo_mask();
	a = (struct exo_hc_grant){ .vec_gpa = exo_gpa(frames), .count = n, .op = op,
				   .grantee = grantee };
	int64_t rc = exo_hypercall(EXO_HC_GRANT, &a);
	if (bad_index)
		*bad_index = a.bad_index;
	exo_unmask();
	return rc;
}

int64_t exo_lookup(const char *name)
{
	/* hv reads the name from a frame this guest owns: argv's strings are
	 * in the exo page, which it does not, so the name goes by a copy. */
	static char buf[EXO_NAME_MAX];
	static struct exo_hc_lookup a;
	size_t len = strlen(name);
	if (len == 0 || len > EXO_NAME_MAX) /* hv's answers to such a length */
		return len ? -EXO_E2BIG : -EXO_EINVAL;
	exo_mask();
	memcpy(buf, name, len);
	a = (struct exo_hc_lookup){ .name_gpa = exo_gpa(buf), .len = (uint32_t)len };
	int64_t rc = exo_hypercall(EXO_HC_LOOKUP, &a);
	rc = rc < 0 ? rc : (int64_t)a.id;
	exo_unmask();
	return rc;
}

int64_t exo_lookup_wait(const char *name, uint64_t timeout_ns)
{
	const uint64_t ms = 1000000;
	int64_t rc;
	/* Time is counted in waits that timed out: each took 1 ms at least. */
	for (uint64_t waited = 0; (rc = exo_lookup(name)) == -EXO_ENOENT && waited < timeout_ns;) {
		int64_t w = exo_doorbell_wait(ms);
		if (w < 0)
			return w;
		waited += w == 0 ? ms : 0;
	}
	return rc;
}

/* The erasure's pack writer (forget_pack.h): pack format version 2 with
 * OFS_DELTA entries, index format version 2, SHA-1 and CRC-32 computed
 * here (curator links neither zlib nor a crypto library directly). */
#include "forget_pack.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PACK_MAX_DEPTH 50   /* as git's default: reads stay cheap */
#define PACK_MAX_PATHS 4096 /* tree paths remembered as delta bases */

/* ---- SHA-1 (FIPS 180-4), for the pack and index checksums ---- */

struct sha1 {
        uint32_t h[5];
        uint64_t len;
        unsigned char block[64];
        size_t fill;
};

static uint32_t rol(uint32_t x, int n)
{
        return (x << n) | (x >> (32 - n));
}

static void sha1_block(struct sha1 *s, const unsigned char *p)
{
        uint32_t w[80];
        for (int i = 0; i < 16; i++)
                w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
                       (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
        for (int i = 16; i < 80; i++)
                w[i] = rol(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
        uint32_t a = s->h[0], b = s->h[1], c = s->h[2], d = s->h[3], e = s->h[4];
        for (int i = 0; i < 80; i++) {
                uint32_t f, k;
                if (i < 20) {
                        f = (b & c) | (~b & d);
                        k = 0x5a827999;
                } else if (i < 40) {
                        f = b ^ c ^ d;
                        k = 0x6ed9eba1;
                } else if (i < 60) {
                        f = (b & c) | (b & d) | (c & d);
                        k = 0x8f1bbcdc;
                } else {
                        f = b ^ c ^ d;
                        k = 0xca62c1d6;
                }
                uint32_t t = rol(a, 5) + f + e + k + w[i];
                e = d;
                d = c;
                c = rol(b, 30);
                b = a;
                a = t;
        }
        s->h[0] += a;
        s->h[1] += b;
        s->h[2] += c;
        s->h[3] += d;
        s->h[4] += e;
}

static void sha1_init(struct sha1 *s)
{
        static const uint32_t h0[5] = {0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476, 0xc3d2e1f0};
        memcpy(s->h, h0, sizeof(h0));
        s->len = 0;
        s->fill = 0;
}

static void sha1_update(struct sha1 *s, const void *data, size_t n)
{
        const unsigned char *p = data;
        s->len += n;
        if (s->fill) {
                size_t take = 64 - s->fill < n ? 64 - s->fill : n;
                memcpy(s->block + s->fill, p, take);
                s->fill += take;
                p += take;
                n -= take;
                if (s->fill < 64)
                        return;
                sha1_block(s, s->block);
                s->fill = 0;
        }
        for (; n >= 64; p += 64, n -= 64)
                sha1_block(s, p);
        memcpy(s->block, p, n);
        s->fill = n;
}

static void sha1_final(struct sha1 *s, unsigned char out[20])
{
        uint64_t bits = s->len * 8;
        unsigned char pad = 0x80, zero = 0, lenb[8];
        sha1_update(s, &pad, 1);
        while (s->fill != 56)
                sha1_update(s, &zero, 1);
        for (int i = 0; i < 8; i++)
                lenb[i] = (unsigned char)(bits >> (56 - 8 * i));
        sha1_update(s, lenb, 8);
        for (int i = 0; i < 5; i++) {
                out[4 * i] = (unsigned char)(s->h[i] >> 24);
                out[4 * i + 1] = (unsigned char)(s->h[i] >> 16);
                out[4 * i + 2] = (unsigned char)(s->h[i] >> 8);
                out[4 * i + 3] = (unsigned char)s->h[i];
        }
}

/* ---- CRC-32 (the index's per-entry check) and Adler-32 (zlib's) ---- */

static uint32_t crc_table[256];

static void crc_init(void)
{
        for (uint32_t i = 0; i < 256; i++) {
                uint32_t c = i;
                for (int k = 0; k < 8; k++)
                        c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
                crc_table[i] = c;
        }
}

static uint32_t crc32_update(uint32_t crc, const unsigned char *p, size_t n)
{
        crc = ~crc;
        while (n--)
                crc = crc_table[(crc ^ *p++) & 0xff] ^ (crc >> 8);
        return ~crc;
}

static uint32_t adler32(const unsigned char *p, size_t n)
{
        uint32_t a = 1, b = 0;
        while (n) {
                size_t chunk = n < 5552 ? n : 5552;
                n -= chunk;
                while (chunk--) {
                        a += *p++;
                        b += a;
                }
                a %= 65521;
                b %= 65521;
        }
        return b << 16 | a;
}

/* Appends data as a zlib stream of stored (uncompressed) blocks. */
static void zlib_stored(struct buf *out, const unsigned char *p, size_t n)
{
        buf_addc(out, 0x78);
        buf_addc(out, 0x01);
        size_t off = 0;
        do {
                size_t take = n - off < 65535 ? n - off : 65535;
                unsigned char h[5] = {off + take == n ? 1 : 0, (unsigned char)(take & 0xff),
                                      (unsigned char)(take >> 8), (unsigned char)(~take & 0xff),
                                      (unsigned char)((~take >> 8) & 0xff)};
                buf_add(out, h, 5);
                buf_add(out, p + off, take);
                off += take;
        } while (off < n);
        uint32_t ad = adler32(p, n);
        unsigned char t[4] = {(unsigned char)(ad >> 24), (unsigned char)(ad >> 16),
                              (unsigned char)(ad >> 8), (unsigned char)ad};
        buf_add(out, t, 4);
}

/* ---- deltas ---- */

static void varint(struct buf *out, size_t v)
{
        do {
                unsigned char c = v & 0x7f;
                v >>= 7;
                if (v)
                        c |= 0x80;
                buf_addc(out, (char)c);
        } while (v);
}

static void delta_copy(struct buf *out, size_t off, size_t size)
{
        while (size) {
                size_t take = size < 0x10000 ? size : 0x10000;
                unsigned char cmd = 0x80, b[8];
                int nb = 0;
                for (int i = 0; i < 4; i++) {
                        unsigned char x = (unsigned char)(off >> (8 * i));
                        if (x) {
                                cmd |= (unsigned char)(1u << i);
                                b[nb++] = x;
                        }
                }
                for (int i = 0; i < 3 && take != 0x10000; i++) {
                        unsigned char x = (unsigned char)(take >> (8 * i));
                        if (x) {
                                cmd |= (unsigned char)(0x10u << i);
                                b[nb++] = x;
                        }
                }
                buf_addc(out, (char)cmd);
                buf_add(out, b, (size_t)nb);
                off += take;
                size -= take;
        }
}

/* The delta that turns src into dst by their common prefix and suffix:
 * exact for trees that differ in the entries one commit changed. */
static void delta_make(const unsigned char *src, size_t sn, const unsigned char *dst, size_t dn,
                       struct buf *out)
{
        size_t p = 0, s = 0, lim = sn < dn ? sn : dn;
        while (p < lim && src[p] == dst[p])
                p++;
        while (s < lim - p && src[sn - 1 - s] == dst[dn - 1 - s])
                s++;
        varint(out, sn);
        varint(out, dn);
        delta_copy(out, 0, p);
        for (size_t i = p; i < dn - s;) {
                size_t take = dn - s - i < 127 ? dn - s - i : 127;
                buf_addc(out, (char)take);
                buf_add(out, dst + i, take);
                i += take;
        }
        delta_copy(out, sn - s, s);
}

/* ---- the writer ---- */

struct entry {
        git_oid id;
        uint64_t offset;
        uint32_t crc;
};

struct base {
        char *path;          /* owned */
        unsigned char *data; /* owned: the raw tree */
        size_t len;
        uint64_t offset;
        int depth;
};

struct writer {
        git_repository *repo;
        git_odb *odb;
        int fd;
        uint64_t offset;
        struct entry *v; /* owned */
        size_t n, cap;
        size_t *slots; /* owned: open-addressed set of indexes into v (+ 1; 0: empty) */
        size_t nslots;
        struct base *bases; /* owned */
        size_t nbases;
        struct buf ent, tmp, out;
        struct err *err;
};

static size_t slot_of(const struct writer *w, const git_oid *id)
{
        size_t h;
        memcpy(&h, id->id, sizeof(h));
        size_t i = h & (w->nslots - 1);
        while (w->slots[i] && !git_oid_equal(&w->v[w->slots[i] - 1].id, id))
                i = (i + 1) & (w->nslots - 1);
        return i;
}

static int have(const struct writer *w, const git_oid *id)
{
        return w->nslots && w->slots[slot_of(w, id)] != 0;
}

static void remember(struct writer *w, size_t index)
{
        if ((w->n + 1) * 2 > w->nslots) {
                free(w->slots);
                w->nslots = w->nslots ? w->nslots * 2 : 1 << 16;
                w->slots = xcalloc(w->nslots, sizeof(*w->slots));
                for (size_t i = 0; i < w->n; i++)
                        w->slots[slot_of(w, &w->v[i].id)] = i + 1;
        }
        w->slots[slot_of(w, &w->v[index].id)] = index + 1;
}

static int out_flush(struct writer *w)
{
        const char *c = w->out.ptr;
        size_t n = w->out.len;
        while (n) {
                ssize_t k = write(w->fd, c, n);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k <= 0)
                        return err_set(w->err, "writing the store's new pack: %s", strerror(errno));
                c += k;
                n -= (size_t)k;
        }
        buf_reset(&w->out);
        return 0;
}

/* Appends to the pack through a 1 MiB buffer (one write per object would
 * be tens of thousands of system calls). */
static int out_write(struct writer *w, const void *p, size_t n)
{
        buf_add(&w->out, p, n);
        return w->out.len >= (1u << 20) ? out_flush(w) : 0;
}

/* Writes one entry for object id: a delta against base when one is given
 * and smaller, else whole. *deltified says which. */
static int put_entry(struct writer *w, const git_oid *id, git_object_t type,
                     const unsigned char *data, size_t len, const struct base *base, int *deltified)
{
        buf_reset(&w->ent);
        buf_reset(&w->tmp);
        const unsigned char *payload = data;
        size_t plen = len;
        int kind = (int)type;
        if (base) {
                delta_make(base->data, base->len, data, len, &w->tmp);
                if (w->tmp.len < len) {
                        payload = (const unsigned char *)w->tmp.ptr;
                        plen = w->tmp.len;
                        kind = 6; /* OFS_DELTA */
                } else {
                        base = NULL;
                }
        }
        *deltified = base != NULL;
        size_t sz = plen;
        unsigned char c = (unsigned char)((kind << 4) | (sz & 15));
        sz >>= 4;
        while (sz) {
                buf_addc(&w->ent, (char)(c | 0x80));
                c = sz & 0x7f;
                sz >>= 7;
        }
        buf_addc(&w->ent, (char)c);
        if (base) {
                uint64_t off = w->offset - base->offset;
                unsigned char ob[16];
                int pos = sizeof(ob) - 1;
                ob[pos] = off & 127;
                while (off >>= 7)
                        ob[--pos] = (unsigned char)(128 | (--off & 127));
                buf_add(&w->ent, ob + pos, sizeof(ob) - (size_t)pos);
        }
        zlib_stored(&w->ent, payload, plen);
        if (w->n == w->cap) {
                w->cap = w->cap ? w->cap * 2 : 4096;
                w->v = xrealloc(w->v, w->cap * sizeof(*w->v));
        }
        struct entry *e = &w->v[w->n];
        git_oid_cpy(&e->id, id);
        e->offset = w->offset;
        e->crc = crc32_update(0, (const unsigned char *)w->ent.ptr, w->ent.len);
        remember(w, w->n);
        w->n++;
        if (out_write(w, w->ent.ptr, w->ent.len) < 0)
                return -1;
        w->offset += w->ent.len;
        return 0;
}

static int put_object(struct writer *w, const git_oid *id, const char *path)
{
        git_odb_object *o = NULL;
        if (git_odb_read(&o, w->odb, id) < 0) {
                const git_error *e = git_error_last();
                return err_set(w->err, "reading an object to pack: %s",
                               e && e->message ? e->message : "libgit2 error");
        }
        git_object_t type = git_odb_object_type(o);
        const unsigned char *data = git_odb_object_data(o);
        size_t len = git_odb_object_size(o);
        struct base *b = NULL;
        if (type == GIT_OBJECT_TREE && path) {
                for (size_t i = 0; i < w->nbases && !b; i++)
                        if (strcmp(w->bases[i].path, path) == 0)
                                b = &w->bases[i];
                if (!b && w->nbases < PACK_MAX_PATHS) {
                        w->bases = xrealloc(w->bases, (w->nbases + 1) * sizeof(*w->bases));
                        b = &w->bases[w->nbases++];
                        memset(b, 0, sizeof(*b));
                        b->path = xstrdup(path);
                        b->depth = PACK_MAX_DEPTH; /* no base yet: written whole */
                }
        }
        int delta = b && b->data && b->depth < PACK_MAX_DEPTH;
        uint64_t at = w->offset;
        int rc = put_entry(w, id, type, data, len, delta ? b : NULL, &delta);
        if (rc == 0 && b) {
                b->depth = delta ? b->depth + 1 : 0;
                b->offset = at;
                free(b->data);
                b->data = xmalloc(len ? len : 1);
                memcpy(b->data, data, len);
                b->len = len;
        }
        git_odb_object_free(o);
        return rc;
}

/* Packs tree id (at path) and, first, everything under it not yet packed. */
static int put_tree(struct writer *w, const git_oid *id, struct buf *path)
{
        if (have(w, id))
                return 0;
        git_tree *t = NULL;
        if (git_tree_lookup(&t, w->repo, id) < 0)
                return err_set(w->err, "reading a tree to pack");
        int rc = 0;
        size_t plen = path->len;
        for (size_t i = 0; i < git_tree_entrycount(t) && rc == 0; i++) {
                const git_tree_entry *e = git_tree_entry_byindex(t, i);
                const git_oid *eid = git_tree_entry_id(e);
                if (git_tree_entry_type(e) == GIT_OBJECT_TREE) {
                        buf_addf(path, "%s/", git_tree_entry_name(e));
                        rc = put_tree(w, eid, path);
                        path->len = plen;
                        path->ptr[plen] = '\0';
                } else if (git_tree_entry_type(e) == GIT_OBJECT_BLOB && !have(w, eid)) {
                        rc = put_object(w, eid, NULL);
                }
        }
        git_tree_free(t);
        return rc == 0 ? put_object(w, id, buf_cstr(path)) : rc;
}

static int cmp_entry(const void *a, const void *b)
{
        return git_oid_cmp(&((const struct entry *)a)->id, &((const struct entry *)b)->id);
}

static int write_all(int fd, const void *p, size_t n, struct err *err)
{
        const char *c = p;
        while (n) {
                ssize_t k = write(fd, c, n);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k <= 0)
                        return err_set(err, "writing the pack index: %s", strerror(errno));
                c += k;
                n -= (size_t)k;
        }
        return 0;
}

static void be32(struct buf *b, uint32_t v)
{
        unsigned char x[4] = {(unsigned char)(v >> 24), (unsigned char)(v >> 16),
                              (unsigned char)(v >> 8), (unsigned char)v};
        buf_add(b, x, 4);
}

static int write_index(struct writer *w, const unsigned char pack_sum[20], int fd)
{
        qsort(w->v, w->n, sizeof(*w->v), cmp_entry);
        struct buf b = BUF_INIT;
        static const unsigned char magic[8] = {0xff, 't', 'O', 'c', 0, 0, 0, 2};
        buf_add(&b, magic, 8);
        size_t k = 0;
        for (int f = 0; f < 256; f++) {
                while (k < w->n && w->v[k].id.id[0] <= f)
                        k++;
                be32(&b, (uint32_t)k);
        }
        for (size_t i = 0; i < w->n; i++)
                buf_add(&b, w->v[i].id.id, 20);
        for (size_t i = 0; i < w->n; i++)
                be32(&b, w->v[i].crc);
        uint32_t nlarge = 0;
        for (size_t i = 0; i < w->n; i++) {
                if (w->v[i].offset < 0x80000000u)
                        be32(&b, (uint32_t)w->v[i].offset);
                else
                        be32(&b, 0x80000000u | nlarge++);
        }
        for (size_t i = 0; i < w->n; i++) {
                if (w->v[i].offset >= 0x80000000u) {
                        be32(&b, (uint32_t)(w->v[i].offset >> 32));
                        be32(&b, (uint32_t)w->v[i].offset);
                }
        }
        buf_add(&b, pack_sum, 20);
        struct sha1 s;
        unsigned char idx_sum[20];
        sha1_init(&s);
        sha1_update(&s, b.ptr, b.len);
        sha1_final(&s, idx_sum);
        buf_add(&b, idx_sum, 20);
        int rc = write_all(fd, b.ptr, b.len, w->err);
        buf_free(&b);
        return rc;
}

static void hex20(const unsigned char *d, char out[41])
{
        static const char x[] = "0123456789abcdef";
        for (int i = 0; i < 20; i++) {
                out[2 * i] = x[d[i] >> 4];
                out[2 * i + 1] = x[d[i] & 15];
        }
        out[40] = '\0';
}

static int sync_fd(int fd, const char *what, struct err *err)
{
        return fsync(fd) < 0 ? err_set(err, "syncing %s: %s", what, strerror(errno)) : 0;
}

int forget_pack_write(git_repository *repo, const char *git_dir, const git_oid *tip,
                      struct buf *name, struct err *err)
{
        struct writer w = {.repo = repo, .fd = -1, .err = err};
        struct buf dir = BUF_INIT, tmp_pack = BUF_INIT, tmp_idx = BUF_INIT, path = BUF_INIT,
                   fin = BUF_INIT;
        git_revwalk *walk = NULL;
        int rc = -1, idx_fd = -1, dir_fd = -1;
        crc_init();
        buf_addf(&dir, "%s/objects/pack", git_dir);
        buf_addf(&tmp_pack, "%s/tmp_curator_%d.pack", buf_cstr(&dir), (int)getpid());
        buf_addf(&tmp_idx, "%s/tmp_curator_%d.idx", buf_cstr(&dir), (int)getpid());
        if (git_repository_odb(&w.odb, repo) < 0) {
                err_set(err, "opening the object database");
                goto out;
        }
        w.fd = open(buf_cstr(&tmp_pack), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0444);
        if (w.fd < 0) {
                err_set(err, "creating %s: %s", buf_cstr(&tmp_pack), strerror(errno));
                goto out;
        }
        /* The object count goes in the header; it is patched once known, so
         * the checksum is computed over the file afterwards. */
        static const unsigned char hdr[12] = {'P', 'A', 'C', 'K', 0, 0, 0, 2, 0, 0, 0, 0};
        if (out_write(&w, hdr, sizeof(hdr)) < 0)
                goto out;
        w.offset = sizeof(hdr);
        if (git_revwalk_new(&walk, repo) < 0 || git_revwalk_push(walk, tip) < 0) {
                err_set(err, "walking the store history to pack it");
                goto out;
        }
        git_revwalk_sorting(walk, GIT_SORT_TOPOLOGICAL | GIT_SORT_REVERSE);
        git_oid c;
        while (git_revwalk_next(&c, walk) == 0) {
                git_commit *cm = NULL;
                if (git_commit_lookup(&cm, repo, &c) < 0) {
                        err_set(err, "reading a commit to pack");
                        goto out;
                }
                buf_reset(&path);
                buf_adds(&path, "/");
                int r = put_tree(&w, git_commit_tree_id(cm), &path);
                git_commit_free(cm);
                if (r < 0 || put_object(&w, &c, NULL) < 0)
                        goto out;
        }
        if (out_flush(&w) < 0)
                goto out;
        /* Patch the count, then checksum the whole file as written. */
        unsigned char count[4] = {(unsigned char)(w.n >> 24), (unsigned char)(w.n >> 16),
                                  (unsigned char)(w.n >> 8), (unsigned char)w.n};
        if (pwrite(w.fd, count, 4, 8) != 4) {
                err_set(err, "writing the pack header: %s", strerror(errno));
                goto out;
        }
        struct sha1 sum;
        sha1_init(&sum);
        unsigned char *chunk = xmalloc(1 << 20), pack_sum[20];
        uint64_t pos = 0;
        ssize_t k;
        while ((k = pread(w.fd, chunk, 1 << 20, (off_t)pos)) > 0) {
                sha1_update(&sum, chunk, (size_t)k);
                pos += (uint64_t)k;
        }
        free(chunk);
        sha1_final(&sum, pack_sum);
        if (k < 0 || write_all(w.fd, pack_sum, 20, err) < 0 ||
            sync_fd(w.fd, "the new pack", err) < 0)
                goto out;
        idx_fd = open(buf_cstr(&tmp_idx), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0444);
        if (idx_fd < 0) {
                err_set(err, "creating %s: %s", buf_cstr(&tmp_idx), strerror(errno));
                goto out;
        }
        if (write_index(&w, pack_sum, idx_fd) < 0 || sync_fd(idx_fd, "the new pack index", err) < 0)
                goto out;
        char hex[41];
        hex20(pack_sum, hex);
        buf_reset(name);
        buf_addf(name, "pack-%s", hex);
        buf_addf(&fin, "%s/%s.pack", buf_cstr(&dir), buf_cstr(name));
        if (rename(buf_cstr(&tmp_pack), buf_cstr(&fin)) < 0) {
                err_set(err, "renaming the new pack: %s", strerror(errno));
                goto out;
        }
        buf_reset(&fin);
        buf_addf(&fin, "%s/%s.idx", buf_cstr(&dir), buf_cstr(name));
        if (rename(buf_cstr(&tmp_idx), buf_cstr(&fin)) < 0) {
                err_set(err, "renaming the new pack index: %s", strerror(errno));
                goto out;
        }
        dir_fd = open(buf_cstr(&dir), O_RDONLY | O_CLOEXEC);
        if (dir_fd < 0 || sync_fd(dir_fd, "objects/pack", err) < 0)
                goto out;
        rc = 0;
out:
        if (w.fd >= 0)
                close(w.fd);
        if (idx_fd >= 0)
                close(idx_fd);
        if (dir_fd >= 0)
                close(dir_fd);
        if (rc < 0) {
                unlink(buf_cstr(&tmp_pack));
                unlink(buf_cstr(&tmp_idx));
        }
        git_revwalk_free(walk);
        git_odb_free(w.odb);
        for (size_t i = 0; i < w.nbases; i++) {
                free(w.bases[i].path);
                free(w.bases[i].data);
        }
        free(w.bases);
        free(w.v);
        free(w.slots);
        buf_free(&w.ent);
        buf_free(&w.tmp);
        buf_free(&w.out);
        buf_free(&dir);
        buf_free(&tmp_pack);
        buf_free(&tmp_idx);
        buf_free(&path);
        buf_free(&fin);
        return rc;
}

#ifndef MOBILEVIT_JPEG_COMMON_H
#define MOBILEVIT_JPEG_COMMON_H

#include <setjmp.h>
#include <stdio.h>

#include <jpeglib.h>

/* Results; on any but OK the caller uses the file as it is, or decodes it whole another way. */
#define MOBILEVIT_JPEG_OK 0
#define MOBILEVIT_JPEG_NOT_APPLICABLE 1 /* CMYK/YCCK, not the size the caller expected, no region */
#define MOBILEVIT_JPEG_ERROR 2          /* libjpeg stopped on an error */
#define MOBILEVIT_JPEG_WARNING 3        /* a warning (damaged data) in what was read */

static inline int max_int(int a, int b) { return a > b ? a : b; }
static inline int min_int(int a, int b) { return a < b ? a : b; }
/* ceil(a / b) for a >= 0, b > 0: the side of a 1/b scaled image, or of a grid of b-pixel cells */
static inline int ceil_div(int a, int b) { return (a + b - 1) / b; }

/*
 * libjpeg reports an error by calling error_exit, which must not return: this one jumps back to
 * the setjmp of the call that began the work. Warnings (damaged data) are noted, not printed.
 */
struct escape_error_mgr {
  struct jpeg_error_mgr pub;
  jmp_buf *escape;
  int warned;
};

static inline void escape_on_error(j_common_ptr cinfo) {
  longjmp(*((struct escape_error_mgr *)cinfo->err)->escape, 1);
}

static inline void note_warning(j_common_ptr cinfo, int level) {
  if (level < 0) {
    ((struct escape_error_mgr *)cinfo->err)->warned = 1;
  }
}

/* Sets up err to jump to escape on an error; returns the error manager to give libjpeg. */
static inline struct jpeg_error_mgr *escape_errors(struct escape_error_mgr *err, jmp_buf *escape) {
  jpeg_std_error(&err->pub);
  err->pub.error_exit = escape_on_error;
  err->pub.emit_message = note_warning;
  err->escape = escape;
  err->warned = 0;
  return &err->pub;
}

#endif

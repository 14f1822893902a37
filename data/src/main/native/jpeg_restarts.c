/*
 * Restart markers after every MCU, for region decoding without entropy-decoding what lies beside
 * the region. A restart marker resets the entropy decoder (DC predictions, bit buffer), so the data
 * of each MCU of such a file stands alone: the MCUs around a region, copied in raster order with
 * their markers renumbered behind a copy of the file's header (its SOF giving the smaller size),
 * form a valid JPEG of just that part of the picture, with the same coefficients, so the same pixels.
 *
 * mobilevit_jpeg_add_restarts writes such a file: a lossless transcode (the coefficients are copied,
 * never requantised; Huffman tables are re-optimised, which pays for the markers), keeping the
 * original's APPn and COM markers (EXIF, ICC, JFIF, Adobe).
 */
#include "jpeg_restarts.h"

#include <stdlib.h>
#include <string.h>

#include "jpeg_common.h"

#include <jerror.h>

/* A destination that grows by realloc and owns its buffer until the caller takes it. */
struct growing_destination {
  struct jpeg_destination_mgr pub;
  unsigned char *buffer;
  size_t capacity;
};

static void start_destination(j_compress_ptr cinfo) { (void)cinfo; }

static boolean grow_destination(j_compress_ptr cinfo) {
  struct growing_destination *d = (struct growing_destination *)cinfo->dest;
  size_t capacity = 2 * d->capacity;
  unsigned char *bigger = realloc(d->buffer, capacity);
  if (bigger == NULL) {
    ERREXIT1(cinfo, JERR_OUT_OF_MEMORY, 10);
  }
  d->pub.next_output_byte = bigger + d->capacity;
  d->pub.free_in_buffer = capacity - d->capacity;
  d->buffer = bigger;
  d->capacity = capacity;
  return TRUE;
}

static void end_destination(j_compress_ptr cinfo) { (void)cinfo; }

int mobilevit_jpeg_add_restarts(const unsigned char *jpeg, unsigned long size, unsigned char **out,
                                unsigned long *out_size) {
  struct jpeg_decompress_struct src;
  struct jpeg_compress_struct dst;
  struct escape_error_mgr src_err, dst_err;
  struct growing_destination out_file;
  jmp_buf escape_point;

  *out = NULL;
  *out_size = 0;
  memset(&src, 0, sizeof src);
  memset(&dst, 0, sizeof dst);
  out_file.capacity = size + 4096; /* the markers cost about what optimised tables save */
  out_file.buffer = malloc(out_file.capacity);
  if (out_file.buffer == NULL) {
    return MOBILEVIT_JPEG_ERROR;
  }
  out_file.pub.next_output_byte = out_file.buffer;
  out_file.pub.free_in_buffer = out_file.capacity;
  out_file.pub.init_destination = start_destination;
  out_file.pub.empty_output_buffer = grow_destination;
  out_file.pub.term_destination = end_destination;
  src.err = escape_errors(&src_err, &escape_point);
  dst.err = escape_errors(&dst_err, &escape_point);
  if (setjmp(escape_point)) {
    jpeg_destroy_compress(&dst);
    jpeg_destroy_decompress(&src);
    free(out_file.buffer);
    return MOBILEVIT_JPEG_ERROR;
  }
  jpeg_create_decompress(&src);
  jpeg_create_compress(&dst);
  jpeg_mem_src(&src, jpeg, size);
  jpeg_save_markers(&src, JPEG_COM, 0xFFFF);
  for (int m = 0; m < 16; m++) {
    jpeg_save_markers(&src, JPEG_APP0 + m, 0xFFFF);
  }
  jpeg_read_header(&src, TRUE);
  jvirt_barray_ptr *coefficients = jpeg_read_coefficients(&src);
  if (src_err.warned) { /* damaged data: its copy would hide the damage from whoever decodes it */
    jpeg_destroy_compress(&dst);
    jpeg_destroy_decompress(&src);
    free(out_file.buffer);
    return MOBILEVIT_JPEG_WARNING;
  }
  jpeg_copy_critical_parameters(&src, &dst);
  dst.restart_interval = 1;
  dst.optimize_coding = TRUE;
  dst.write_JFIF_header = FALSE; /* the original's own APP0 and APP14, if any, are copied below */
  dst.write_Adobe_marker = FALSE;
  dst.dest = &out_file.pub;
  jpeg_write_coefficients(&dst, coefficients);
  for (jpeg_saved_marker_ptr m = src.marker_list; m != NULL; m = m->next) {
    jpeg_write_marker(&dst, m->marker, m->data, m->data_length);
  }
  jpeg_finish_compress(&dst);
  jpeg_destroy_compress(&dst);
  jpeg_destroy_decompress(&src);
  *out = out_file.buffer;
  *out_size = out_file.capacity - out_file.pub.free_in_buffer;
  return MOBILEVIT_JPEG_OK;
}

void mobilevit_jpeg_free(unsigned char *buffer) { free(buffer); }

static int be16(const unsigned char *p) { return p[0] << 8 | p[1]; }

/* Context of the upsampling filters (one chroma sample: two pixels), kept around a region. */
#define CONTEXT 2

struct frame {
  unsigned long sof;  /* offset of the SOF marker */
  unsigned long data; /* offset of the entropy-coded data */
  int height, width;  /* in pixels */
  int mcu_height, mcu_width, mcu_rows, mcu_cols;
};

/* The frame of a baseline/extended sequential Huffman JPEG with one scan and a restart after every MCU. */
static int read_frame(const unsigned char *jpeg, unsigned long size, struct frame *f) {
  unsigned long p = 2;
  int restart_interval = 0;
  f->sof = 0;
  f->data = 0;
  if (size < 4 || jpeg[0] != 0xFF || jpeg[1] != 0xD8) {
    return 0;
  }
  while (p + 4 <= size) {
    if (jpeg[p] != 0xFF) {
      return 0;
    }
    int marker = jpeg[p + 1];
    if (marker == 0xFF) { /* fill byte */
      p++;
      continue;
    }
    unsigned long length = (unsigned long)be16(jpeg + p + 2);
    if (p + 2 + length > size) {
      return 0;
    }
    if (marker == 0xC0 || marker == 0xC1) {
      if (length < 8 || p + 2 + length < p + 10 + 3 * (unsigned long)jpeg[p + 9]) {
        return 0;
      }
      f->sof = p;
    } else if (marker >= 0xC2 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC) {
      return 0; /* progressive, lossless or arithmetic-coded */
    } else if (marker == 0xDD && length >= 4) {
      restart_interval = be16(jpeg + p + 4);
    } else if (marker == 0xDA) {
      /* one scan of every component */
      if (f->sof == 0 || length < 3 || jpeg[p + 4] != jpeg[f->sof + 9]) {
        return 0;
      }
      f->data = p + 2 + length;
      break;
    }
    p += 2 + length;
  }
  if (f->data == 0 || restart_interval != 1) {
    return 0;
  }
  const unsigned char *sof = jpeg + f->sof;
  int components = sof[9];
  int h_max = 1, v_max = 1;
  for (int c = 0; c < components && components > 1; c++) { /* one component: its blocks are the MCUs */
    h_max = max_int(h_max, sof[11 + 3 * c] >> 4);
    v_max = max_int(v_max, sof[11 + 3 * c] & 15);
  }
  f->height = be16(sof + 5);
  f->width = be16(sof + 7);
  f->mcu_height = 8 * v_max;
  f->mcu_width = 8 * h_max;
  f->mcu_rows = ceil_div(f->height, f->mcu_height);
  f->mcu_cols = ceil_div(f->width, f->mcu_width);
  return f->height > 0 && f->width > 0 && sof[4] == 8;
}

/* Where each MCU's data starts, and (at [count]) where the last one ends; 0 if the markers do not match. */
static int index_mcus(const unsigned char *jpeg, unsigned long size, unsigned long data, unsigned long *start,
                      int count) {
  int n = 0;
  start[n++] = data;
  for (unsigned long q = data; q + 1 < size; q++) {
    const unsigned char *ff = memchr(jpeg + q, 0xFF, size - 1 - q);
    if (ff == NULL) {
      return 0;
    }
    q = (unsigned long)(ff - jpeg);
    int next = jpeg[q + 1];
    if (next == 0x00 || next == 0xFF) { /* a stuffed 0xFF, or fill before a marker */
      continue;
    }
    if (next >= 0xD0 && next <= 0xD7) {
      if (n == count || next != 0xD0 + ((n - 1) & 7)) { /* out of sequence: damaged, left to the whole decode */
        return 0;
      }
      start[n++] = q + 2;
      q++;
      continue;
    }
    start[n] = q; /* EOI (or another marker): the end of the last MCU */
    return n == count;
  }
  return 0;
}

int mobilevit_jpeg_restart_region(const unsigned char *jpeg, unsigned long size, int reduction, int rows, int cols,
                                  int top, int left, int height, int width, struct region_part *out) {
  struct frame f;
  memset(out, 0, sizeof *out);
  if (!read_frame(jpeg, size, &f) || ceil_div(f.height, reduction) != rows
      || ceil_div(f.width, reduction) != cols) {
    return 0;
  }
  int count = f.mcu_rows * f.mcu_cols;
  if ((unsigned long)count > size / 2) { /* each MCU but the last ends with a 2-byte marker */
    return 0;
  }
  unsigned long *start = malloc(((size_t)count + 1) * sizeof *start);
  if (start == NULL) {
    return 0;
  }
  if (!index_mcus(jpeg, size, f.data, start, count)) {
    free(start);
    return 0;
  }
  /* the MCUs that hold the region and its context, in pixels of the 1/reduction image */
  int mcu_h = f.mcu_height / reduction, mcu_w = f.mcu_width / reduction;
  int row0 = max_int(0, top - CONTEXT) / mcu_h;
  int col0 = max_int(0, left - CONTEXT) / mcu_w;
  int row1 = min_int(f.mcu_rows, ceil_div(top + height + CONTEXT, mcu_h));
  int col1 = min_int(f.mcu_cols, ceil_div(left + width + CONTEXT, mcu_w));
  if (row0 >= row1 || col0 >= col1) {
    free(start);
    return 0;
  }
  int part_height = min_int(f.height, row1 * f.mcu_height) - row0 * f.mcu_height;
  int part_width = min_int(f.width, col1 * f.mcu_width) - col0 * f.mcu_width;
  /* no larger than the file: its header, fewer MCUs, as many markers between them and EOI */
  unsigned char *part = malloc(size + 2);
  if (part == NULL) {
    free(start);
    return 0;
  }
  memcpy(part, jpeg, f.data);
  part[f.sof + 5] = (unsigned char)(part_height >> 8);
  part[f.sof + 6] = (unsigned char)part_height;
  part[f.sof + 7] = (unsigned char)(part_width >> 8);
  part[f.sof + 8] = (unsigned char)part_width;
  unsigned long o = f.data;
  int restart = 0;
  for (int y = row0; y < row1; y++) {
    for (int x = col0; x < col1; x++) {
      int i = y * f.mcu_cols + x;
      unsigned long end = i + 1 < count ? start[i + 1] - 2 : start[count];
      memcpy(part + o, jpeg + start[i], end - start[i]);
      o += end - start[i];
      if (y != row1 - 1 || x != col1 - 1) {
        part[o++] = 0xFF;
        part[o++] = (unsigned char)(0xD0 + restart);
        restart = (restart + 1) & 7;
      }
    }
  }
  part[o++] = 0xFF;
  part[o++] = 0xD9;
  free(start);
  out->jpeg = part;
  out->size = o;
  out->top = row0 * mcu_h;
  out->left = col0 * mcu_w;
  out->rows = ceil_div(part_height, reduction);
  out->cols = ceil_div(part_width, reduction);
  return 1;
}

/*
 * Decodes one region of a JPEG with libjpeg's own API (libjpeg.so.62 of libjpeg-turbo), for the
 * training crops: the rows above the region are entropy-decoded only (jpeg_skip_scanlines), the
 * columns outside it are not transformed (jpeg_crop_scanline), and decoding stops after its last
 * row (the decompressor is destroyed there), so the Huffman data below it is never read.
 *
 * This file exists because libjpeg reports a damaged file by calling error_exit, which must not
 * return: it takes a setjmp/longjmp pair in C, which JNA cannot provide. TurboJPEG 2.x, which
 * JNA calls for whole images, has no region decoding (that came with TurboJPEG 3).
 *
 * The region's pixels equal a whole-image decode's (JpegRegionTest): its columns are widened by one
 * iMCU on each side, since fancy upsampling treats the decoded columns' edges as the image's, and
 * they are written into a buffer the size of the whole image, at their own place. Rows need no
 * margin: jpeg_skip_scanlines keeps the upsampler's context rows.
 *
 * A file with a restart marker after every MCU (written by jpeg_restarts.c) is decoded from the
 * MCUs around the region alone, so neither the rows above it nor the columns beside it are
 * entropy-decoded.
 */
#include <stdlib.h>
#include <string.h>

#include "jpeg_common.h"
#include "jpeg_restarts.h"

/*
 * Decodes the JPEG jpeg[0, size) scaled by 1/reduction (1, 2, 4 or 8) as BGR into dst, rows of stride
 * bytes, if its scaled image is rows x cols: at least its rows [top, top + height) and columns [left,
 * left + width) are written, with their values in a whole-image decode.
 */
static int decode_rows(const unsigned char *jpeg, unsigned long size, int reduction, int top, int left, int height,
                       int width, unsigned char *dst, size_t stride, int rows, int cols) {
  struct jpeg_decompress_struct cinfo;
  struct escape_error_mgr err;
  jmp_buf escape_point;
  volatile int result = MOBILEVIT_JPEG_OK;

  memset(&cinfo, 0, sizeof cinfo); /* so that an error inside jpeg_create_decompress destroys nothing */
  cinfo.err = escape_errors(&err, &escape_point);
  if (setjmp(escape_point)) {
    jpeg_destroy_decompress(&cinfo);
    return MOBILEVIT_JPEG_ERROR;
  }
  jpeg_create_decompress(&cinfo);
  jpeg_mem_src(&cinfo, jpeg, size);
  jpeg_read_header(&cinfo, TRUE);
  if (cinfo.jpeg_color_space == JCS_CMYK || cinfo.jpeg_color_space == JCS_YCCK
      || (reduction != 1 && reduction != 2 && reduction != 4 && reduction != 8)) {
    result = MOBILEVIT_JPEG_NOT_APPLICABLE;
  } else {
    /* TurboJPEG's and OpenCV's settings: accurate integer IDCT, fancy upsampling (the defaults) */
    cinfo.out_color_space = JCS_EXT_BGR;
    cinfo.scale_num = 1;
    cinfo.scale_denom = (unsigned int)reduction;
    jpeg_start_decompress(&cinfo);
    int imcu_width = cinfo.max_h_samp_factor * cinfo.min_DCT_scaled_size;
    int first_row = max_int(0, top);
    int end_row = min_int(rows, top + height);
    int first_col = max_int(0, left - imcu_width);
    int end_col = min_int(cols, left + width + imcu_width);
    if ((int)cinfo.output_width != cols || (int)cinfo.output_height != rows || cinfo.output_components != 3
        || first_row >= end_row || first_col >= end_col) {
      result = MOBILEVIT_JPEG_NOT_APPLICABLE;
    } else {
      JDIMENSION x = (JDIMENSION)first_col;
      JDIMENSION w = (JDIMENSION)(end_col - first_col);
      jpeg_crop_scanline(&cinfo, &x, &w); /* x moves down to an iMCU boundary */
      jpeg_skip_scanlines(&cinfo, (JDIMENSION)first_row);
      while ((int)cinfo.output_scanline < end_row) {
        JSAMPROW row_pointers[16];
        int n = min_int(16, end_row - (int)cinfo.output_scanline);
        for (int i = 0; i < n; i++) {
          row_pointers[i] = dst + (cinfo.output_scanline + i) * stride + (size_t)x * 3;
        }
        if (jpeg_read_scanlines(&cinfo, row_pointers, (JDIMENSION)n) == 0) {
          break; /* suspended: cannot happen with a memory source, which pads with EOI */
        }
      }
      if ((int)cinfo.output_scanline < end_row) {
        result = MOBILEVIT_JPEG_ERROR;
      }
    }
  }
  if (err.warned && result == MOBILEVIT_JPEG_OK) {
    result = MOBILEVIT_JPEG_WARNING;
  }
  jpeg_destroy_decompress(&cinfo); /* also ends a decompression left part-way */
  return result;
}

/*
 * Decodes the JPEG jpeg[0, size) scaled by 1/reduction (1, 2, 4 or 8) as BGR into dst, which holds
 * the whole scaled image (dst_height rows of 3 * dst_width bytes). At least the rows [top, top +
 * height) and columns [left, left + width) of dst are written, with their values in a whole-image
 * decode; other pixels of dst may be written or left as they were. A file with a restart marker
 * after every MCU (jpeg_restarts.c) is decoded from the MCUs around the region alone.
 */
int mobilevit_jpeg_decode_region(const unsigned char *jpeg, unsigned long size, int reduction, int top, int left,
                                 int height, int width, unsigned char *dst, int dst_width, int dst_height) {
  size_t stride = (size_t)dst_width * 3;
  struct region_part part;
  if (mobilevit_jpeg_restart_region(jpeg, size, reduction, dst_height, dst_width, top, left, height, width, &part)) {
    int result = decode_rows(part.jpeg, part.size, reduction, top - part.top, left - part.left, height, width,
                             dst + part.top * stride + (size_t)part.left * 3, stride, part.rows, part.cols);
    free(part.jpeg);
    if (result != MOBILEVIT_JPEG_ERROR) {
      return result;
    }
  }
  return decode_rows(jpeg, size, reduction, top, left, height, width, dst, stride, dst_height, dst_width);
}

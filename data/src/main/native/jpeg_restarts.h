#ifndef MOBILEVIT_JPEG_RESTARTS_H
#define MOBILEVIT_JPEG_RESTARTS_H

/*
 * Transcodes jpeg[0, size) losslessly into a JPEG with a restart marker after every MCU, in *out
 * (*out_size bytes, to be freed with mobilevit_jpeg_free): a MOBILEVIT_JPEG_ result (jpeg_common.h);
 * on any but OK, *out is NULL.
 */
int mobilevit_jpeg_add_restarts(const unsigned char *jpeg, unsigned long size, unsigned char **out,
                                unsigned long *out_size);

void mobilevit_jpeg_free(unsigned char *buffer);

/* A JPEG of part of another's picture, and where that part lies in the other's scaled image. */
struct region_part {
  unsigned char *jpeg; /* to be freed with free */
  unsigned long size;
  int top, left;       /* its first pixel's place */
  int rows, cols;      /* its scaled size */
};

/*
 * For a JPEG with a restart marker after every MCU (as mobilevit_jpeg_add_restarts writes) whose
 * 1/reduction scaled image is rows x cols: 1 and, in *out, a JPEG of the MCUs that hold the scaled
 * image's rows [top, top + height) and columns [left, left + width), with a margin for the
 * upsampling filters, so that its decode has the whole image's pixels there. 0 for any other JPEG.
 */
int mobilevit_jpeg_restart_region(const unsigned char *jpeg, unsigned long size, int reduction, int rows, int cols,
                                  int top, int left, int height, int width, struct region_part *out);

#endif

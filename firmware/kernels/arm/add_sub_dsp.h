/*
 * add_sub_dsp.h - int8 ADD and SUB without broadcasting, for cores with the DSP extension. Each
 * input's rescaled value depends on its byte alone, so the generator tabulates both (256 int32
 * each, indexed by the unsigned byte; input 2 negated for SUB, both doubled in the FAST modes);
 * per element the kernel adds two table entries and requantizes once with SMMLAR. Bit-exact with
 * tinyml_add_s8 / tinyml_sub_s8.
 */
#ifndef TINYML_ADD_SUB_DSP_H
#define TINYML_ADD_SUB_DSP_H

#include <stdint.h>

#include "tinyml_dsp.h"

typedef struct {
  int32_t size;
  int32_t output_offset;
  int32_t activation_min;
  int32_t activation_max;
  tinyml_dsp_rq rq;
  const int32_t *table1;
  const int32_t *table2;
} tinyml_add_sub_dsp_params;

/*
 * One entry point per requantization mode (TINYML_RQ_*: _fast, _folded, _ref) and clamp (_full:
 * the activation range is the whole int8 range), so that the linker keeps only what a model
 * uses.
 */
void tinyml_add_sub_s8_dsp_fast_full(const tinyml_add_sub_dsp_params *p, const int8_t *input1,
    const int8_t *input2, int8_t *output);
void tinyml_add_sub_s8_dsp_fast(const tinyml_add_sub_dsp_params *p, const int8_t *input1,
    const int8_t *input2, int8_t *output);
void tinyml_add_sub_s8_dsp_folded_full(const tinyml_add_sub_dsp_params *p, const int8_t *input1,
    const int8_t *input2, int8_t *output);
void tinyml_add_sub_s8_dsp_folded(const tinyml_add_sub_dsp_params *p, const int8_t *input1,
    const int8_t *input2, int8_t *output);
void tinyml_add_sub_s8_dsp_ref_full(const tinyml_add_sub_dsp_params *p, const int8_t *input1,
    const int8_t *input2, int8_t *output);
void tinyml_add_sub_s8_dsp_ref(const tinyml_add_sub_dsp_params *p, const int8_t *input1,
    const int8_t *input2, int8_t *output);
/* The FAST and FOLDED ones for TINYML_RQ_NOFIX layers (no sign correction; see tinyml_dsp.h). */
TINYML_DSP_MODE_NF_DECLS(tinyml_add_sub_s8_dsp, (const tinyml_add_sub_dsp_params *p, const int8_t *input1,
    const int8_t *input2, int8_t *output))

#endif /* TINYML_ADD_SUB_DSP_H */

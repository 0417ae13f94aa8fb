/*
 * wg_kernels.c -- one generic launcher for every op: look up (or compile)
 * the op's pipeline, fill the 48-byte Params uniform, bind the operands and
 * queue one dispatch. Nothing waits here: ops run asynchronously on the
 * device's queue until a copy to the host or synchronize.
 *
 * The WGSL side of this contract (bindings, Params, dispatch shapes) is in
 * shaders/README.md.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wg_internal.h"

typedef enum dispatch_kind {
    DISPATCH_ELEMENTWISE, /* 256 threads per workgroup, grid-stride over d0   */
    DISPATCH_ROWS,        /* one workgroup per row of d0 rows                  */
    DISPATCH_SINGLE,      /* exactly one workgroup (losses)                    */
    DISPATCH_GEMM_TILES,  /* one workgroup per 64 x 64 tile of C               */
} dispatch_kind;

typedef struct op_info {
    const char *module;
    const char *entry;
    uint32_t operands;
    dispatch_kind kind;
} op_info;

static const op_info ops[HG_OP_COUNT] = {
    [HG_OP_FILL] = {"elementwise", "k_fill", 1, DISPATCH_ELEMENTWISE},
    [HG_OP_COPY] = {"elementwise", "k_copy", 2, DISPATCH_ELEMENTWISE},
    [HG_OP_ADD] = {"elementwise", "k_add", 3, DISPATCH_ELEMENTWISE},
    [HG_OP_SUB] = {"elementwise", "k_sub", 3, DISPATCH_ELEMENTWISE},
    [HG_OP_MUL] = {"elementwise", "k_mul", 3, DISPATCH_ELEMENTWISE},
    [HG_OP_DIV] = {"elementwise", "k_div", 3, DISPATCH_ELEMENTWISE},
    [HG_OP_MAXIMUM] = {"elementwise", "k_maximum", 3, DISPATCH_ELEMENTWISE},
    [HG_OP_MINIMUM] = {"elementwise", "k_minimum", 3, DISPATCH_ELEMENTWISE},
    [HG_OP_ADD_SCALAR] = {"elementwise", "k_add_scalar", 2, DISPATCH_ELEMENTWISE},
    [HG_OP_MUL_SCALAR] = {"elementwise", "k_mul_scalar", 2, DISPATCH_ELEMENTWISE},
    [HG_OP_CLIP] = {"elementwise", "k_clip", 2, DISPATCH_ELEMENTWISE},
    [HG_OP_NEG] = {"elementwise", "k_neg", 2, DISPATCH_ELEMENTWISE},
    [HG_OP_ABS] = {"elementwise", "k_abs", 2, DISPATCH_ELEMENTWISE},
    [HG_OP_RELU] = {"elementwise", "k_relu", 2, DISPATCH_ELEMENTWISE},
    [HG_OP_SIGMOID] = {"elementwise", "k_sigmoid", 2, DISPATCH_ELEMENTWISE},
    [HG_OP_TANH] = {"elementwise", "k_tanh", 2, DISPATCH_ELEMENTWISE},
    [HG_OP_EXP] = {"elementwise", "k_exp", 2, DISPATCH_ELEMENTWISE},
    [HG_OP_LOG] = {"elementwise", "k_log", 2, DISPATCH_ELEMENTWISE},
    [HG_OP_SQRT] = {"elementwise", "k_sqrt", 2, DISPATCH_ELEMENTWISE},
    [HG_OP_GELU] = {"elementwise", "k_gelu", 2, DISPATCH_ELEMENTWISE},
    [HG_OP_GELU_TANH] = {"elementwise", "k_gelu_tanh", 2, DISPATCH_ELEMENTWISE},
    [HG_OP_SUM] = {"reduce", "k_sum", 2, DISPATCH_ROWS},
    [HG_OP_MAX] = {"reduce", "k_max", 2, DISPATCH_ROWS},
    [HG_OP_MIN] = {"reduce", "k_min", 2, DISPATCH_ROWS},
    [HG_OP_MEAN] = {"reduce", "k_mean", 2, DISPATCH_ROWS},
    [HG_OP_SOFTMAX] = {"rowwise", "k_softmax", 2, DISPATCH_ROWS},
    [HG_OP_LOG_SOFTMAX] = {"rowwise", "k_log_softmax", 2, DISPATCH_ROWS},
    [HG_OP_MSE] = {"loss", "k_mse", 3, DISPATCH_SINGLE},
    [HG_OP_CROSS_ENTROPY] = {"loss", "k_cross_entropy", 3, DISPATCH_SINGLE},
    [HG_OP_BINARY_CROSS_ENTROPY] = {"loss", "k_binary_cross_entropy", 3, DISPATCH_SINGLE},
    [HG_OP_GEMM] = {"linalg", "k_gemm", 3, DISPATCH_GEMM_TILES},
    [HG_OP_MATVEC] = {"linalg", "k_matvec", 3, DISPATCH_ROWS},
};

/* Mirrors `struct Params` of shaders/common.wgsl. */
typedef struct wg_params {
    uint32_t d0, d1, d2, flags;
    uint32_t off0, off1, off2, pad0;
    float s0, s1, s2, s3;
} wg_params;

static WGPUStringView view(const char *s) {
    WGPUStringView v = {s, s ? strlen(s) : 0};
    return v;
}

static const char *source_of(const char *name) {
    for (unsigned i = 0; i < wg_shader_source_count; i++)
        if (strcmp(wg_shader_sources[i].name, name) == 0) return wg_shader_sources[i].source;
    return NULL;
}

static int module_index(const char *name) {
    static const char *const names[] = {"elementwise", "reduce", "rowwise", "loss", "linalg"};
    for (int i = 0; i < (int)(sizeof names / sizeof names[0]); i++)
        if (strcmp(names[i], name) == 0) return i;
    return -1;
}

/* common.wgsl + the family's module: compiled once per device. Called locked. */
static hg_status module_locked(wg_device *d, const char *name, WGPUShaderModule *out) {
    int index = module_index(name);
    if (index < 0) return wg_host->set_error(HG_ERR_INTERNAL, "no WGSL module named '%s'", name);
    if (!d->modules[index]) {
        const char *common = source_of("common"), *body = source_of(name);
        if (!common || !body)
            return wg_host->set_error(HG_ERR_INTERNAL, "the WGSL source '%s' was not built in", name);
        size_t n1 = strlen(common), n2 = strlen(body);
        char *text = malloc(n1 + n2 + 2);
        if (!text) return wg_host->set_error(HG_ERR_OUT_OF_MEMORY, "out of memory compiling WGSL");
        memcpy(text, common, n1);
        text[n1] = '\n';
        memcpy(text + n1 + 1, body, n2 + 1);
        WGPUShaderSourceWGSL wgsl = WGPU_SHADER_SOURCE_WGSL_INIT;
        wgsl.code = view(text);
        WGPUShaderModuleDescriptor desc = WGPU_SHADER_MODULE_DESCRIPTOR_INIT;
        desc.nextInChain = &wgsl.chain;
        desc.label = view(name);
        d->modules[index] = d->api->device_create_shader_module(d->device, &desc);
        free(text);
    }
    *out = d->modules[index];
    return HG_OK;
}

/* The op's pipeline and its bind group layout, created on first use. */
static hg_status pipeline_for(wg_device *d, uint32_t op, WGPUComputePipeline *pipe, WGPUBindGroupLayout *layout) {
    pthread_mutex_lock(&d->lock);
    hg_status st = HG_OK;
    if (!d->pipelines[op]) {
        WGPUShaderModule module = NULL;
        st = module_locked(d, ops[op].module, &module);
        if (!st) {
            WGPUComputePipelineDescriptor desc = WGPU_COMPUTE_PIPELINE_DESCRIPTOR_INIT;
            desc.label = view(ops[op].entry);
            desc.compute.module = module;
            desc.compute.entryPoint = view(ops[op].entry);
            WGPUComputePipeline p = d->api->device_create_compute_pipeline(d->device, &desc);
            /* A WGSL error surfaces as an uncaptured error of this call. */
            st = wg_device_take_error(d, ops[op].entry);
            if (!st && !p)
                st = wg_host->set_error(HG_ERR_BACKEND, "%s backend: could not build the %s pipeline",
                                        WG_BACKEND_NAME, ops[op].entry);
            if (st) {
                if (p) d->api->pipeline_release(p);
            } else {
                d->pipelines[op] = p;
                d->layouts[op] = d->api->pipeline_get_bind_group_layout(p, 0);
            }
        }
    }
    *pipe = d->pipelines[op];
    *layout = d->layouts[op];
    pthread_mutex_unlock(&d->lock);
    return st;
}

static uint32_t ceil_div(int64_t a, uint32_t b) { return (uint32_t)((a + b - 1) / b); }

/* Workgroup counts, or 0 when there is nothing to compute. */
static hg_status grid_for(const wg_device *d, const hg_op_args *a, uint32_t *x, uint32_t *y) {
    uint64_t limit = d->limits.maxComputeWorkgroupsPerDimension;
    int64_t rows = a->dims[0], cols = a->dims[1];
    *y = 1;
    switch (ops[a->op].kind) {
    case DISPATCH_ELEMENTWISE:
        *x = rows ? (uint32_t)(ceil_div(rows, 256) < limit ? ceil_div(rows, 256) : limit) : 0;
        return HG_OK;
    case DISPATCH_ROWS:
        /* Row-wise outputs have rows x cols elements: nothing to do at cols 0.
           Reductions and matvec still write zeros (or NaN means) then. */
        if (a->op == HG_OP_SOFTMAX || a->op == HG_OP_LOG_SOFTMAX) rows = cols ? rows : 0;
        *x = (uint32_t)((uint64_t)rows < limit ? (uint64_t)rows : limit);
        return HG_OK;
    case DISPATCH_SINGLE:
        *x = 1;
        return HG_OK;
    case DISPATCH_GEMM_TILES:
        if (!a->dims[0] || !a->dims[1]) {
            *x = 0;
            return HG_OK;
        }
        *x = ceil_div(a->dims[1], 64);
        *y = ceil_div(a->dims[0], 64);
        if (*x > limit || *y > limit)
            return wg_host->set_error(HG_ERR_INVALID_ARGUMENT,
                "%s backend: a %lld x %lld GEMM output needs more than %llu workgroups per dimension",
                WG_BACKEND_NAME, (long long)a->dims[0], (long long)a->dims[1], (unsigned long long)limit);
        return HG_OK;
    }
    return HG_OK;
}

static hg_status fill_params(const hg_op_args *a, wg_params *p) {
    /* pad0 must stay 0: the shaders OR it into intermediates (opaque() in
       common.wgsl) so that drivers cannot re-associate compensated sums. */
    memset(p, 0, sizeof *p);
    uint32_t *dims[3] = {&p->d0, &p->d1, &p->d2};
    for (int i = 0; i < 3; i++) {
        if (a->dims[i] < 0 || a->dims[i] > (int64_t)UINT32_MAX)
            return wg_host->set_error(HG_ERR_INVALID_ARGUMENT, "%s backend: size %lld exceeds 32-bit indexing",
                                      WG_BACKEND_NAME, (long long)a->dims[i]);
        *dims[i] = (uint32_t)a->dims[i];
    }
    uint32_t *offs[3] = {&p->off0, &p->off1, &p->off2};
    for (uint32_t i = 0; i < a->num_operands && i < 3; i++) {
        if (a->offset[i] % 4u)
            return wg_host->set_error(HG_ERR_INVALID_ARGUMENT, "%s backend: operand offset %llu is not a "
                                      "multiple of 4 bytes", WG_BACKEND_NAME, (unsigned long long)a->offset[i]);
        *offs[i] = (uint32_t)(a->offset[i] / 4u);
    }
    p->flags = a->flags;
    p->s0 = (float)a->scalar[0];
    p->s1 = (float)a->scalar[1];
    p->s2 = (float)a->scalar[2];
    p->s3 = (float)a->scalar[3];
    return HG_OK;
}

static WGPUBuffer uniform_with(wg_device *d, const wg_params *params) {
    WGPUBufferDescriptor desc = WGPU_BUFFER_DESCRIPTOR_INIT;
    desc.usage = WGPUBufferUsage_Uniform;
    desc.size = sizeof *params;
    desc.mappedAtCreation = 1;
    WGPUBuffer u = d->api->device_create_buffer(d->device, &desc);
    if (!u) return NULL;
    void *dst = d->api->buffer_get_mapped_range(u, 0, sizeof *params);
    if (dst) memcpy(dst, params, sizeof *params);
    d->api->buffer_unmap(u);
    return u;
}

static hg_status wg_run(void *ctx, const hg_op_args *a) {
    wg_device *d = ((wg_context *)ctx)->dev;
    const wg_api *api = d->api;
    uint32_t gx = 0, gy = 0;
    hg_status st = grid_for(d, a, &gx, &gy);
    if (st || !gx) return st;
    wg_params params;
    if ((st = fill_params(a, &params))) return st;
    WGPUComputePipeline pipe;
    WGPUBindGroupLayout layout;
    if ((st = pipeline_for(d, a->op, &pipe, &layout))) return st;

    WGPUBuffer uniform = uniform_with(d, &params);
    if (!uniform) return wg_host->set_error(HG_ERR_OUT_OF_MEMORY, "%s backend: no memory for op parameters",
                                            WG_BACKEND_NAME);
    WGPUBindGroupEntry entries[1 + HG_MAX_OPERANDS];
    uint32_t count = ops[a->op].operands;
    entries[0] = (WGPUBindGroupEntry)WGPU_BIND_GROUP_ENTRY_INIT;
    entries[0].binding = 0;
    entries[0].buffer = uniform;
    entries[0].size = sizeof params;
    for (uint32_t i = 0; i < count; i++) {
        const wg_memory *m = a->operand[i];
        entries[i + 1] = (WGPUBindGroupEntry)WGPU_BIND_GROUP_ENTRY_INIT;
        entries[i + 1].binding = i + 1;
        entries[i + 1].buffer = m ? m->buffer : d->dummy; /* zero-element operands may be NULL */
        entries[i + 1].size = m ? m->size : 16;
    }
    WGPUBindGroupDescriptor bdesc = WGPU_BIND_GROUP_DESCRIPTOR_INIT;
    bdesc.layout = layout;
    bdesc.entryCount = count + 1;
    bdesc.entries = entries;
    WGPUBindGroup group = api->device_create_bind_group(d->device, &bdesc);

    WGPUCommandEncoderDescriptor edesc = WGPU_COMMAND_ENCODER_DESCRIPTOR_INIT;
    WGPUCommandEncoder enc = api->device_create_command_encoder(d->device, &edesc);
    WGPUComputePassDescriptor pdesc = WGPU_COMPUTE_PASS_DESCRIPTOR_INIT;
    WGPUComputePassEncoder pass = api->command_encoder_begin_compute_pass(enc, &pdesc);
    api->compute_pass_set_pipeline(pass, pipe);
    api->compute_pass_set_bind_group(pass, 0, group, 0, NULL);
    api->compute_pass_dispatch(pass, gx, gy, 1);
    api->compute_pass_end(pass);
    WGPUCommandBufferDescriptor cdesc = WGPU_COMMAND_BUFFER_DESCRIPTOR_INIT;
    WGPUCommandBuffer cmd = api->command_encoder_finish(enc, &cdesc);
    api->queue_submit(d->queue, 1, &cmd);
    /* Released now, freed by wgpu-native once the dispatch has run. */
    api->command_buffer_release(cmd);
    api->compute_pass_release(pass);
    api->command_encoder_release(enc);
    api->bind_group_release(group);
    api->buffer_release(uniform);
    return wg_device_take_error(d, ops[a->op].entry);
}

hg_kernel_fn wg_get_kernel(void *ctx, uint32_t op, uint32_t dtype) {
    (void)ctx;
    /* WGSL has no float64 (and no kernels of the reserved dtypes). */
    if (op >= HG_OP_COUNT || dtype != HG_DTYPE_FLOAT32 || !ops[op].entry) return NULL;
    return wg_run;
}

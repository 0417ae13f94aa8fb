// common.wgsl -- prepended by the host to every module: the Params uniform,
// the operand bindings, and the float32 helpers the kernels share.
//
// Contract with the host (see README.md next to this file): binding 0 is the
// 48-byte Params; operand i of the op is binding i + 1. Every operand is
// read_write because the host binds one buffer twice for in-place ops, which
// WebGPU allows only between writable storage bindings. Offsets are in
// elements. Pipelines use automatic layouts, so each entry point touches
// exactly the operands of its op.
//
// Numerics. WGSL lets a compiler assume that NaN and infinity never occur and
// leaves the NaN behaviour of max/min unspecified, so NaN is detected from the
// bit pattern and every special case is written out. WGSL's fma() may be
// evaluated unfused and a * b + c may be fused, so nothing below depends on
// either: exact products come from splitting the significand with a bit mask
// (Dekker), and every step written as a * b + c is accurate either way.
// Subnormals may be flushed to zero by the GPU; the functions are correct
// (to the flush) when they are.

struct Params {
  d0: u32, d1: u32, d2: u32, flags: u32,      // dims[0..2] of the op; flags: 1 = TRANS_A, 2 = TRANS_B
  off0: u32, off1: u32, off2: u32, pad0: u32, // element offsets of operands 0, 1, 2
  s0: f32, s1: f32, s2: f32, s3: f32,         // scalars
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> op0: array<f32>;
@group(0) @binding(2) var<storage, read_write> op1: array<f32>;
@group(0) @binding(3) var<storage, read_write> op2: array<f32>;

// ---- IEEE special values, by their bits ----

const F32_ABS_MASK: u32 = 0x7fffffffu;
const F32_INF_BITS: u32 = 0x7f800000u;

fn is_nan(x: f32) -> bool { return (bitcast<u32>(x) & F32_ABS_MASK) > F32_INF_BITS; }
fn is_inf(x: f32) -> bool { return (bitcast<u32>(x) & F32_ABS_MASK) == F32_INF_BITS; }
fn is_finite(x: f32) -> bool { return (bitcast<u32>(x) & F32_ABS_MASK) < F32_INF_BITS; }
fn nan_f32() -> f32 { return bitcast<f32>(0x7fc00000u); }
fn inf_f32() -> f32 { return bitcast<f32>(F32_INF_BITS); }
fn neg_zero() -> f32 { return bitcast<f32>(0x80000000u); }

// np.maximum / np.minimum: NaN in either argument gives NaN.
fn max_nan(a: f32, b: f32) -> f32 {
  if (is_nan(a) || is_nan(b)) { return nan_f32(); }
  return select(b, a, a > b);
}
fn min_nan(a: f32, b: f32) -> f32 {
  if (is_nan(a) || is_nan(b)) { return nan_f32(); }
  return select(b, a, a < b);
}

// ---- error-free transformations (float-float arithmetic) ----

// x unchanged, in a form no optimizer can see through: p.pad0 is 0 (the host
// zeroes it), but the compiler cannot know that. Needed because Vulkan
// drivers may simplify float expressions algebraically unless a shader asks
// for exact IEEE semantics, which WGSL cannot: Mesa's NIR rewrites
// (a + b) - a to b, which turns every error-free sum below into a plain sum.
fn opaque(x: f32) -> f32 { return bitcast<f32>(bitcast<u32>(x) | p.pad0); }

// a + b = s + e exactly (Knuth's TwoSum: no ordering of |a|, |b| needed).
// Finite arguments only. s, the intermediate and e are opaque (see above).
fn two_sum(a: f32, b: f32) -> vec2<f32> {
  let s = opaque(a + b);
  let bb = opaque(s - a);
  return vec2<f32>(s, opaque((a - (s - bb)) + (b - bb)));
}

// a * b = hi + lo exactly (Dekker), for |a b| well inside the normal range.
// The split into 12-bit halves masks the low significand bits rather than
// Veltkamp's multiply-subtract, which a fusing compiler could make inexact;
// the low halves, hi and lo are opaque so that no algebraic rewrite (a bh +
// a bl = a b, ...) can recombine the partial products, inside or with the
// caller's expressions.
fn two_prod(a: f32, b: f32) -> vec2<f32> {
  let hi = opaque(a * b);
  let ah = bitcast<f32>(bitcast<u32>(a) & 0xfffff000u);
  let al = opaque(a - ah);
  let bh = bitcast<f32>(bitcast<u32>(b) & 0xfffff000u);
  let bl = opaque(b - bh);
  return vec2<f32>(hi, opaque(((ah * bh - hi) + ah * bl + al * bh) + al * bl));
}

// Compensated running sum (hi, lo): lo collects the rounding error of every
// addition, so a long sum is good to about one rounding of its value instead
// of growing with the number of terms. Once hi is infinite or NaN, the error
// terms would be NaN (inf - inf) and are dropped; hi alone is then the answer.
fn acc_add(acc: vec2<f32>, x: f32) -> vec2<f32> {
  let t = two_sum(acc.x, x);
  return vec2<f32>(t.x, select(acc.y, acc.y + t.y, is_finite(t.x)));
}
fn acc_merge(a: vec2<f32>, b: vec2<f32>) -> vec2<f32> {
  return acc_add(vec2<f32>(a.x, a.y + b.y), b.x);
}
fn acc_value(acc: vec2<f32>) -> f32 {
  return select(acc.x, acc.x + acc.y, is_finite(acc.x));
}

// ---- exp ----
//
// exp(x) = 2^n (1 + t): n = round(x / ln2), r = x - n ln2 (Cody-Waite: ln2 =
// HI + LO with HI of 15 significant bits, so n HI and x - n HI are exact for
// |n| < 2^9), t = expm1(r) a minimax polynomial. 2^n is applied as two
// factors 2^(n - n/2) and 2^(n/2), each normal for n in [-252, 254], so
// results near FLT_MAX or in the subnormal range come without an overflowing
// or underflowing intermediate and are rounded once. Both factors are run-time
// values on purpose: with a constant factor (2^(n+64) * 2^-64) compilers that
// do not preserve IEEE semantics (Mesa's NIR) reorder the products and apply
// the constant first, flushing the intermediate into the subnormal range.
// (Polynomial and reduction constants are the CPU backend's, cpu_vmath.h.)

const LOG2E: f32 = 0x1.715476p+0f;
const LN2_HI: f32 = 0x1.62e4p-1f;
const LN2_LO: f32 = 0x1.7f7d1cp-20f;

// expm1(r) - r = r^2 (C2 + C3 r + ... + C6 r^4) on |r| <= 0.357: relative
// error of exp(r) below 3.9e-9.
const EXP_C2: f32 = 0x1.fffffap-2f;
const EXP_C3: f32 = 0x1.55547cp-3f;
const EXP_C4: f32 = 0x1.5559dap-5f;
const EXP_C5: f32 = 0x1.124a36p-7f;
const EXP_C6: f32 = 0x1.69c094p-10f;

struct Reduced {
  r: f32,   // the reduced argument, |r| <= 0.35
  s1: f32,  // 2^(n - n/2)
  s2: f32,  // 2^(n/2); s1 s2 = 2^n
}

fn pow2i(e: i32) -> f32 { return bitcast<f32>(u32(e + 127) << 23u); }

// hi + lo = n ln2 + r, for |hi| <= 175 (n within [-252, 254]).
fn exp_reduce(hi: f32, lo: f32) -> Reduced {
  let n = round(hi * LOG2E);
  let r = ((hi - n * LN2_HI) + lo) - n * LN2_LO;
  let ni = i32(n);
  let half = ni >> 1u;
  return Reduced(r, pow2i(ni - half), pow2i(half));
}

fn expm1_poly(r: f32) -> f32 {
  var q = EXP_C6 * r + EXP_C5;
  q = q * r + EXP_C4;
  q = q * r + EXP_C3;
  q = q * r + EXP_C2;
  return q * (r * r) + r;
}

// m 2^n for a reduced argument: m first times the factor that keeps it
// normal, then the other (the one rounding of a subnormal result).
fn scale_by(m: f32, red: Reduced) -> f32 { return (m * red.s1) * red.s2; }

// exp(x): above 89 the result is inf and below -110 zero (the scheme itself
// saturates correctly from 88.72 and -103.97 on; the cut-offs keep n in
// range and i32(n) defined).
fn exp_f32(x: f32) -> f32 {
  if (is_nan(x)) { return x; }
  if (x > 89.0) { return inf_f32(); }
  if (x < -110.0) { return 0.0; }
  let red = exp_reduce(x, 0.0);
  return scale_by(1.0 + expm1_poly(red.r), red);
}

// exp(hi + lo) for hi + lo <= 0 given as a float-float pair, |lo| <= ulp(hi):
// for arguments that are themselves the result of a computation (x - max in
// softmax), whose rounding to one float would cost |x| 2^-24 relative.
fn exp_ff_neg(hi: f32, lo: f32) -> f32 {
  if (is_nan(hi) || is_nan(lo)) { return nan_f32(); }
  if (hi < -110.0) { return 0.0; }
  let red = exp_reduce(hi, lo);
  return scale_by(1.0 + expm1_poly(red.r), red);
}

// ---- log ----
//
// log(x) = e ln2 + log1p(f), x = 2^e (1 + f) with 1 + f in [2/3, 4/3), split
// from the bit pattern (subtracting the bits of 2/3 makes the exponent field
// e directly); subnormals are scaled by 2^23 first. f = m - 1 is exact, so
// near 1 the error is the polynomial's alone; e ln2 is added last in an exact
// HI part and a LO correction.

// log1p(f) = f - f^2/2 + f^3 P(f), |f| <= 1/3: relative error below 4.7e-9.
const LOG_P0: f32 = 0x1.555506p-2f;
const LOG_P1: f32 = -0x1.fffeeep-3f;
const LOG_P2: f32 = 0x1.99d07ap-3f;
const LOG_P3: f32 = -0x1.559e48p-3f;
const LOG_P4: f32 = 0x1.1ed114p-3f;
const LOG_P5: f32 = -0x1.f30224p-4f;
const LOG_P6: f32 = 0x1.1e87acp-3f;
const LOG_P7: f32 = -0x1.0829cep-3f;

// log(0) = -inf, log(x < 0) = NaN, log(inf) = inf, NaN stays NaN.
fn log_f32(x: f32) -> f32 {
  if (is_nan(x)) { return x; }
  if (x < 0.0) { return nan_f32(); }
  if (is_inf(x)) { return x; }
  let sub = x < 0x1p-126f;
  let xs = select(x, x * 0x1p23f, sub);
  // A GPU that flushes subnormals sees them as zero here.
  if (xs == 0.0) { return -inf_f32(); }
  let ix = bitcast<u32>(xs);
  let u = ix - 0x3f2aaaabu;
  let e = f32((bitcast<i32>(u) >> 23u) - select(0, 23, sub));
  let f = bitcast<f32>(ix - (u & 0xff800000u)) - 1.0;
  var q = LOG_P7 * f + LOG_P6;
  q = q * f + LOG_P5;
  q = q * f + LOG_P4;
  q = q * f + LOG_P3;
  q = q * f + LOG_P2;
  q = q * f + LOG_P1;
  q = q * f + LOG_P0;
  q = q * f - 0.5;
  let tail = q * (f * f) + e * LN2_LO;
  return e * LN2_HI + (f + tail);
}

// log(hi + lo) with |lo| tiny against hi > 0: log(hi) + lo / hi. For
// log(1 - p) in the losses, where 1 - p rounded to a float would cost an
// absolute 2^-25 in the log, i.e. a large relative error when p is small.
fn log_ff(hi: f32, lo: f32) -> f32 {
  let l = log_f32(hi);
  return select(l, l + lo / hi, is_finite(l) && hi > 0.0);
}

// ---- tanh, sigmoid ----

// tanh(x) = x + x^3 P(x^2) on |x| < 0.625: relative error below 4.5e-9.
const TANH_P0: f32 = -0x1.555532p-2f;
const TANH_P1: f32 = 0x1.1106f6p-3f;
const TANH_P2: f32 = -0x1.b835a4p-5f;
const TANH_P3: f32 = 0x1.51f8cep-6f;
const TANH_P4: f32 = -0x1.750ce4p-8f;

// Below 0.625 the odd polynomial (no cancellation near 0); above, tanh|x| =
// em / (em + 2) with em = expm1(2|x|) = 2^n t + (2^n - 1), where both terms
// are exact and em >= 2.49, so nothing cancels and em's error is damped by
// 2 / (em + 2). From 10 on tanh rounds to 1. The sign is copied from x, so
// tanh(-0) = -0 and tanh(+-inf) = +-1.
fn tanh_f32(x: f32) -> f32 {
  if (is_nan(x)) { return x; }
  let a = abs(x);
  var y: f32;
  if (a < 0.625) {
    let a2 = a * a;
    var q = TANH_P4 * a2 + TANH_P3;
    q = q * a2 + TANH_P2;
    q = q * a2 + TANH_P1;
    q = q * a2 + TANH_P0;
    y = (q * a2) * a + a;
  } else if (a > 10.0) {
    y = 1.0;
  } else {
    let red = exp_reduce(2.0 * a, 0.0);
    let s = red.s1 * red.s2; // 2^n, n <= 29: exact
    let em = s * expm1_poly(red.r) + (s - 1.0);
    y = em / (em + 2.0);
  }
  return bitcast<f32>(bitcast<u32>(y) | (bitcast<u32>(x) & 0x80000000u));
}

// 1 / (1 + exp(-x)) as 1/(1+e) for x >= 0 and e/(1+e) for x < 0 with
// e = exp(-|x|) <= 1: never overflows, and in the negative tail e itself
// carries the full relative precision. sigmoid(inf) = 1, sigmoid(-inf) = 0.
fn sigmoid_f32(x: f32) -> f32 {
  if (is_nan(x)) { return x; }
  let e = exp_f32(-abs(x));
  return select(e, 1.0, x >= 0.0) / (1.0 + e);
}

// ---- the GELUs ----

// One step s t + c of a compensated Horner scheme (Graillat, Langlois and
// Louvet's CompHorner): s = hi + lo, the rounding errors of each product and
// sum carried along in lo, so the value is as good as Horner in twice the
// precision.
fn horner_step(s: vec2<f32>, t: f32, c: f32) -> vec2<f32> {
  let pr = two_prod(s.x, t);
  let sm = two_sum(pr.x, c);
  return vec2<f32>(sm.x, s.y * t + (pr.y + sm.y));
}

// (n.hi + n.lo) / (d.hi + d.lo) rounded about once: q = n.hi / d.hi, then
// one correction from the exact remainder n.hi - q d.hi.
fn div_ff(n: vec2<f32>, d: vec2<f32>) -> f32 {
  let q = n.x / d.x;
  let qd = two_prod(q, d.x);
  let rem = ((n.x - qd.x) - qd.y) + (n.y - q * d.y);
  return q + rem / d.x;
}

// Phi(-t) exp(t^2 / 2) (the scaled normal tail) as P(t) / Q(t) on [0, 14.6],
// a rational minimax fit with relative error 6e-9 (the CPU backend's
// coefficients, rounded to float). All coefficients are positive, so the
// Horner steps do not cancel.
const GELU_P0: f32 = 0x1p-1f;
const GELU_P1: f32 = 0x1.c1056ap-2f;
const GELU_P2: f32 = 0x1.7792aap-3f;
const GELU_P3: f32 = 0x1.4d4844p-5f;
const GELU_P4: f32 = 0x1.0e429ep-8f;
const GELU_Q1: f32 = 0x1.acc4e6p+0f;
const GELU_Q2: f32 = 0x1.340010p+0f;
const GELU_Q3: f32 = 0x1.e124c6p-2f;
const GELU_Q4: f32 = 0x1.a1bbcap-4f;
const GELU_Q5: f32 = 0x1.52b794p-7f;
// Past this |x| erf-GELU is x, or below half the smallest subnormal.
const GELU_TMAX: f32 = 14.6;

// Beyond the cut-offs: x above, and -0 below (-inf: NaN, -inf * 0 in the
// defining formula, as the CPU backend).
fn gelu_far_negative(x: f32) -> f32 {
  return select(neg_zero(), nan_f32(), is_inf(x));
}

// x Phi(x) with t = |x| and c = t Phi(-t) = t R(t) exp(-t^2 / 2):
// x < 0: -c;  x >= 0: x - c (>= x / 2, so no cancellation). No 1 + erf:
// that cancels to nothing in the negative tail. t^2 enters the exponential
// as an exact pair (rounding t^2 / 2, up to 107, would cost dozens of ULP),
// and the scale 2^n is applied last so that tiny results round once.
fn gelu_f32(x: f32) -> f32 {
  // x itself for NaN, +-0 (whose sign the arithmetic below may lose) and large x.
  if (is_nan(x) || x == 0.0 || x > GELU_TMAX) { return x; }
  if (x < -GELU_TMAX) { return gelu_far_negative(x); }
  let t = abs(x);
  let sq = two_prod(t, t);
  let red = exp_reduce(-0.5 * sq.x, -0.5 * sq.y);
  let et = expm1_poly(red.r);
  // num / den in float-float: plain float Horner costs up to 5 ULP here.
  var num = vec2<f32>(GELU_P4, 0.0);
  num = horner_step(num, t, GELU_P3);
  num = horner_step(num, t, GELU_P2);
  num = horner_step(num, t, GELU_P1);
  num = horner_step(num, t, GELU_P0);
  var den = vec2<f32>(GELU_Q5, 0.0);
  den = horner_step(den, t, GELU_Q4);
  den = horner_step(den, t, GELU_Q3);
  den = horner_step(den, t, GELU_Q2);
  den = horner_step(den, t, GELU_Q1);
  den = horner_step(den, t, 1.0);
  let tr = t * div_ff(num, den);
  let c = scale_by(tr * et + tr, red);
  return select(-c, x - c, x >= 0.0);
}

// 2u = 2 sqrt(2/pi) (x + 0.044715 x^3) = K1 x + K3 x^3, K1 and K3 as
// float-float pairs.
const GT_K1_HI: f32 = 0x1.988454p+0f;
const GT_K1_LO: f32 = -0x1.857936p-25f;
const GT_K3_HI: f32 = 0x1.2444f2p-4f;
const GT_K3_LO: f32 = 0x1.49b16ap-29f;
// Past this |x| the result rounds to x (x > 0) or is below 2^-150 (x < 0).
const GELU_TANH_TMAX: f32 = 11.0;

// 0.5 x (1 + tanh(u)) = x sigmoid(2u): x / (1 + e) for x >= 0 and
// x e / (1 + e) for x < 0, e = exp(-2|u|) <= 1, so nothing overflows and the
// negative tail keeps its relative precision. 2|u| reaches 112, where one
// float rounding of it would cost up to 2^-18 relative in e; it is formed as a
// float-float pair and reduced as such. x / (1 + e) is folded in before the
// final scale, so tiny results round once.
fn gelu_tanh_f32(x: f32) -> f32 {
  if (is_nan(x) || x == 0.0 || x > GELU_TANH_TMAX) { return x; }
  if (x < -GELU_TANH_TMAX) { return gelu_far_negative(x); }
  let a = abs(x);
  let sq = two_prod(a, a);
  // K3 a^2
  let k3 = two_prod(GT_K3_HI, sq.x);
  let k3_lo = k3.y + (GT_K3_HI * sq.y + GT_K3_LO * sq.x);
  // K1 + K3 a^2, renormalised
  let s = two_sum(GT_K1_HI, k3.x);
  let inner = two_sum(s.x, s.y + (GT_K1_LO + k3_lo));
  // w = 2|u| = a (K1 + K3 a^2)
  let w = two_prod(a, inner.x);
  let w_lo = w.y + a * inner.y;
  let red = exp_reduce(-w.x, -w_lo);
  let t = expm1_poly(red.r);
  let e = scale_by(1.0 + t, red);
  let q = x / (1.0 + e);
  if (x >= 0.0) { return q; }
  return scale_by(q * t + q, red);
}

// ---- workgroup reductions ----
//
// For the kernels that run 256 threads per row (reductions, softmax, losses,
// matvec). Each must be called by all 256 threads from uniform control flow
// (it holds barriers); every thread gets the result. The arrays are free
// again when the call returns, so calls may follow each other.

var<workgroup> wg_pairs: array<vec2<f32>, 256>;
var<workgroup> wg_vals: array<f32, 256>;

// The sum of the 256 threads' compensated partial sums, merged as a tree,
// as a normalised pair hi + lo (hi the rounded sum; lo what it left out).
fn wg_sum_pair(lid: u32, acc: vec2<f32>) -> vec2<f32> {
  wg_pairs[lid] = acc;
  workgroupBarrier();
  for (var s = 128u; s > 0u; s = s >> 1u) {
    if (lid < s) { wg_pairs[lid] = acc_merge(wg_pairs[lid], wg_pairs[lid + s]); }
    workgroupBarrier();
  }
  let r = wg_pairs[0];
  workgroupBarrier();
  if (!is_finite(r.x)) { return vec2<f32>(r.x, 0.0); }
  let t = two_sum(r.x, r.y);
  return vec2<f32>(t.x, select(0.0, t.y, is_finite(t.x)));
}

fn wg_sum(lid: u32, acc: vec2<f32>) -> f32 { return wg_sum_pair(lid, acc).x; }

// The max (or min) of the 256 threads' values; NaN anywhere gives NaN.
fn wg_extremum(lid: u32, v: f32, want_max: bool) -> f32 {
  wg_vals[lid] = v;
  workgroupBarrier();
  for (var s = 128u; s > 0u; s = s >> 1u) {
    if (lid < s) {
      let a = wg_vals[lid];
      let b = wg_vals[lid + s];
      wg_vals[lid] = select(min_nan(a, b), max_nan(a, b), want_max);
    }
    workgroupBarrier();
  }
  let r = wg_vals[0];
  workgroupBarrier();
  return r;
}

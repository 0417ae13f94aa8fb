// common.wgsl -- prepended by the host to every module: the Params uniform,
// the operand bindings and the float32 math the kernels share.
//
// Contract with the host (wg_kernels.c): binding 0 is Params; operand i of the
// op is binding i + 1. Every operand is declared read_write because the host
// binds the same buffer twice for in-place ops, which WebGPU allows only
// between writable storage bindings. Offsets are in elements.

struct Params {
  d0: u32, d1: u32, d2: u32, flags: u32,
  off0: u32, off1: u32, off2: u32, pad0: u32,
  s0: f32, s1: f32, s2: f32, s3: f32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> op0: array<f32>;
@group(0) @binding(2) var<storage, read_write> op1: array<f32>;
@group(0) @binding(3) var<storage, read_write> op2: array<f32>;

const F32_INF: u32 = 0x7f800000u;
const F32_QNAN: u32 = 0x7fc00000u;

// WGSL lets compilers assume NaN never occurs, so `x != x` may fold away:
// look at the bits instead.
fn is_nan(x: f32) -> bool { return (bitcast<u32>(x) & 0x7fffffffu) > F32_INF; }
fn nan_f32() -> f32 { return bitcast<f32>(F32_QNAN); }
fn inf_f32() -> f32 { return bitcast<f32>(F32_INF); }

// max/min that propagate NaN (np.maximum semantics); the builtins do not promise it.
fn max_nan(a: f32, b: f32) -> f32 {
  if (is_nan(a) || is_nan(b)) { return nan_f32(); }
  return select(b, a, a > b);
}
fn min_nan(a: f32, b: f32) -> f32 {
  if (is_nan(a) || is_nan(b)) { return nan_f32(); }
  return select(b, a, a < b);
}

// exp(x): n = round(x / ln2), r = x - n ln2 in two parts (Cody-Waite, exact
// products for |n| <= 150), a degree-7 polynomial on |r| <= ln2/2 (error
// below 1e-8), then 2^n applied in two halves so that results down in the
// subnormal range and up to 2^128 are formed without an overflowing step.
fn exp_f32(x: f32) -> f32 {
  if (is_nan(x)) { return x; }
  if (x > 88.72284) { return inf_f32(); }
  if (x < -103.97208) { return 0.0; }
  let n = round(x * 1.4426950408889634);
  let r = (x - n * 0.693145751953125) - n * 1.4286068203094173e-06;
  let q = 1.0 + r * (1.0 + r * (0.5 + r * (0.16666667 + r * (0.041666668 + r * (0.008333334
          + r * (0.0013888889 + r * 0.0001984127))))));
  let ni = i32(n);
  let half = ni / 2;
  return ldexp(ldexp(q, half), ni - half);
}

// log(x): x = m 2^e with m in [sqrt(1/2), sqrt(2)) from the bit pattern,
// log m = 2 atanh(s), s = (m - 1) / (m + 1), |s| <= 0.1716, by its odd series.
fn log_f32(x: f32) -> f32 {
  if (is_nan(x)) { return x; }
  if (x < 0.0) { return nan_f32(); }
  if (x == 0.0) { return -inf_f32(); }
  if (bitcast<u32>(x) == F32_INF) { return x; }
  var v = x;
  var e = 0;
  if (v < 1.17549435e-38) { v = v * 8388608.0; e = -23; } // subnormal (when not flushed)
  let bits = bitcast<u32>(v);
  e = e + i32(bits >> 23u) - 127;
  var m = bitcast<f32>((bits & 0x007fffffu) | 0x3f800000u);
  if (m > 1.4142135) { m = m * 0.5; e = e + 1; }
  let f = m - 1.0;
  let s = f / (2.0 + f);
  let s2 = s * s;
  let log_m = 2.0 * s * (1.0 + s2 * (0.33333334 + s2 * (0.2 + s2 * (0.14285715 + s2 * 0.11111111))));
  let ef = f32(e);
  return ef * 0.693145751953125 + (log_m + ef * 1.4286068203094173e-06);
}

// tanh: an odd series near 0 (no cancellation), 1 - 2 / (exp(2|x|) + 1) beyond.
fn tanh_f32(x: f32) -> f32 {
  if (is_nan(x)) { return x; }
  let a = abs(x);
  if (a < 0.3) {
    let x2 = x * x;
    return x + x * x2 * (-0.33333334 + x2 * (0.13333334 + x2 * (-0.053968254 + x2 * (0.021869488
           + x2 * -0.008863236))));
  }
  if (a > 9.1) { return sign(x); }
  let t = 1.0 - 2.0 / (exp_f32(2.0 * a) + 1.0);
  return select(t, -t, x < 0.0);
}

// 1 / (1 + e^-x) as 1/(1+e) for x >= 0 and e/(1+e) for x < 0, e = exp(-|x|) <= 1:
// never overflows and keeps full relative accuracy in the negative tail.
fn sigmoid_f32(x: f32) -> f32 {
  if (is_nan(x)) { return x; }
  let e = exp_f32(-abs(x));
  return select(1.0 / (1.0 + e), e / (1.0 + e), x < 0.0);
}

// exp(-x^2 / 2) with x^2 formed exactly: x = hi + lo with hi holding 12 bits,
// so hi^2 is exact and the small rest goes into a second exponential.
fn exp_neg_half_square(x: f32) -> f32 {
  let hi = bitcast<f32>(bitcast<u32>(x) & 0xfffff000u);
  let lo = x - hi;
  return exp_f32(-0.5 * hi * hi) * exp_f32(-0.5 * lo * (x + hi));
}

// Phi(x), the standard normal CDF, through erfc(z), z = |x| / sqrt 2, in the
// Chebyshev form erfc(z) = t exp(-z^2 + P(t)), t = 1 / (1 + z/2), fractional
// error below 1.2e-7 everywhere (Numerical Recipes' erfcc). The exp(-z^2)
// factor is formed exactly above, so the far tail keeps its relative accuracy.
fn normal_cdf(x: f32) -> f32 {
  let z = abs(x) * 0.70710678;
  let t = 1.0 / (1.0 + 0.5 * z);
  let poly = -1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806
             + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277))))))));
  let erfc_z = t * exp_neg_half_square(x) * exp_f32(poly);
  return select(1.0 - 0.5 * erfc_z, 0.5 * erfc_z, x < 0.0);
}

// linalg.wgsl -- GEMM and MATVEC, row-major, contiguous.
//
// GEMM: C (m x n) = alpha op(A) op(B) + beta C with m = d0, n = d1, k = d2,
// alpha = s0, beta = s1, flags 1 = TRANS_A (A stored k x m), 2 = TRANS_B
// (B stored n x k). beta == 0: C is written without being read (NaN in the
// old C does not leak); k == 0: C = beta C (zeros when beta == 0), as the
// CPU backend.
//
// Each 16 x 16 workgroup computes one 64 x 64 tile of C (host grid
// ceil(n / 64) x ceil(m / 64)); thread (x, y) holds the 4 x 4 outputs at rows
// y + 16 r and columns x + 16 c in registers, so neighbouring threads write
// neighbouring columns. op(A) and op(B) arrive 16 k-steps at a time as
// 64 x 16 and 16 x 64 slabs in workgroup memory, each global element read
// once per tile and in its storage order (coalesced for both layouts).
// Out-of-range slab entries are zeros, so every edge (m, n, k of any size
// down to 1) takes the same path. The slabs are stored k-major with a row
// pitch of 65 so that neither the transposing stores nor the reads collide in
// one memory bank. The k loop's trip count comes from p, so the barriers are
// in uniform control flow. Accumulation is plain float32 in k order (error
// bound ~ k eps sum |a b|, as for any unblocked dot product).

const TILE: u32 = 64u;
const KSTEP: u32 = 16u;
const PITCH: u32 = 65u;

var<workgroup> slab_a: array<f32, 1040>; // [kk][i], KSTEP x PITCH
var<workgroup> slab_b: array<f32, 1040>; // [kk][j], KSTEP x PITCH

@compute @workgroup_size(16, 16)
fn k_gemm(@builtin(local_invocation_id) l: vec3<u32>, @builtin(local_invocation_index) lid: u32,
          @builtin(workgroup_id) w: vec3<u32>) {
  let m = p.d0;
  let n = p.d1;
  let k = p.d2;
  let trans_a = (p.flags & 1u) != 0u;
  let trans_b = (p.flags & 2u) != 0u;
  let row0 = w.y * TILE;
  let col0 = w.x * TILE;

  var acc0 = vec4<f32>(0.0);
  var acc1 = vec4<f32>(0.0);
  var acc2 = vec4<f32>(0.0);
  var acc3 = vec4<f32>(0.0);

  let steps = (k + KSTEP - 1u) / KSTEP;
  for (var s = 0u; s < steps; s++) {
    let k0 = s * KSTEP;
    // 1024 entries of each slab, 4 per thread; consecutive threads take
    // consecutive addresses of whichever layout the operand is stored in.
    for (var q = 0u; q < 4u; q++) {
      let e = lid + q * 256u;
      var i: u32;
      var kk: u32;
      if (trans_a) { kk = e / TILE; i = e % TILE; } else { i = e / KSTEP; kk = e % KSTEP; }
      var va = 0.0;
      let gi = row0 + i;
      let gk = k0 + kk;
      if (gi < m && gk < k) {
        if (trans_a) { va = op0[p.off0 + gk * m + gi]; } else { va = op0[p.off0 + gi * k + gk]; }
      }
      slab_a[kk * PITCH + i] = va;

      var j: u32;
      if (trans_b) { j = e / KSTEP; kk = e % KSTEP; } else { kk = e / TILE; j = e % TILE; }
      var vb = 0.0;
      let gj = col0 + j;
      let gkb = k0 + kk;
      if (gj < n && gkb < k) {
        if (trans_b) { vb = op1[p.off1 + gj * k + gkb]; } else { vb = op1[p.off1 + gkb * n + gj]; }
      }
      slab_b[kk * PITCH + j] = vb;
    }
    workgroupBarrier();
    for (var kk = 0u; kk < KSTEP; kk++) {
      let ra = kk * PITCH + l.y;
      let rb = kk * PITCH + l.x;
      let b = vec4<f32>(slab_b[rb], slab_b[rb + 16u], slab_b[rb + 32u], slab_b[rb + 48u]);
      acc0 += slab_a[ra] * b;
      acc1 += slab_a[ra + 16u] * b;
      acc2 += slab_a[ra + 32u] * b;
      acc3 += slab_a[ra + 48u] * b;
    }
    workgroupBarrier();
  }

  let alpha = p.s0;
  let beta = p.s1;
  var acc = array<vec4<f32>, 4>(acc0, acc1, acc2, acc3);
  for (var r = 0u; r < 4u; r++) {
    let gi = row0 + l.y + 16u * r;
    if (gi >= m) { continue; }
    for (var c = 0u; c < 4u; c++) {
      let gj = col0 + l.x + 16u * c;
      if (gj >= n) { continue; }
      let at = p.off2 + gi * n + gj;
      var v = 0.0;
      if (k != 0u) { v = alpha * acc[r][c]; }
      if (beta != 0.0) {
        let old = beta * op2[at];
        v = select(v + old, old, k == 0u);
      }
      op2[at] = v;
    }
  }
}

// MATVEC: y (op2[m]) = A (op0, m x n) x (op1[n]), m = d0, n = d1. One
// workgroup of 256 threads per row (rows strided by the workgroup count).
// Each product is split exactly into hi + lo and both go into a compensated
// sum (Ogita-Rump-Oishi Dot2), so y is good to about one rounding plus
// eps^2 times the condition of the dot product. n == 0 gives zeros.
@compute @workgroup_size(256)
fn k_matvec(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) w: vec3<u32>,
            @builtin(num_workgroups) nw: vec3<u32>) {
  let n = p.d1;
  for (var row = w.x; row < p.d0; row += nw.x) {
    let base = p.off0 + row * n;
    var acc = vec2<f32>(0.0, 0.0);
    for (var j = lid; j < n; j += 256u) {
      let pr = two_prod(op0[base + j], op1[p.off1 + j]);
      let a = acc_add(acc, pr.x);
      acc = vec2<f32>(a.x, select(a.y, a.y + pr.y, is_finite(pr.x)));
    }
    let y = wg_sum(lid, acc);
    if (lid == 0u) { op2[p.off2 + row] = y; }
  }
}

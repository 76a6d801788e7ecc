import { afterAll, describe, expect, it } from "vitest";
import { GPU_INSTALL_HINT, gpuAvailability, type GpuContext } from "../src/runtime/webgpu/device.js";
import { createStorageBuffer, createUniformBuffer, NAN_BITS, poison, readBuffer, readF32 } from "../src/runtime/webgpu/buffers.js";
import { align16, align4, packUniform, uniformLayout, wgslStruct } from "../src/emit/wgsl-layout.js";
import { FMA_WORKGROUP, LOAD_PROBE_ROWS, loadProbeKernel, type ProbeIndexing } from "../src/emit/wgsl-bench.js";
import { KernelRunner } from "../src/runtime/webgpu/kernels.js";
import { measureLoadProbe } from "../src/runtime/webgpu/bench.js";

const inCI = !!process.env.CI && process.env.CI !== "false";
const gpu = await gpuAvailability();
if (!gpu.ok && !inCI) {
  const fix = gpu.reason.includes(GPU_INSTALL_HINT) ? "" : `\n!!! Without a GPU, as root: ${GPU_INSTALL_HINT}`;
  console.warn(`\n!!! SKIPPING WebGPU tests: ${gpu.reason}${fix}\n`);
}

describe("uniform layout (WGSL rules)", () => {
  it("packs scalars tightly and rounds the buffer to 16 bytes", () => {
    const l = uniformLayout({ n: "u32", a: "f32", b: "f32" });
    expect(l.fields.map((f) => f.offset)).toEqual([0, 4, 8]);
    expect([l.size, l.byteLength]).toEqual([12, 16]);
    const v = new DataView(packUniform(l, { n: 7, a: 1.5, b: -2 }));
    expect([v.getUint32(0, true), v.getFloat32(4, true), v.getFloat32(8, true)]).toEqual([7, 1.5, -2]);
  });

  it("aligns vectors (vec3 to 16, with a scalar packed after it)", () => {
    const l = uniformLayout({ s: "f32", v3: "vec3<f32>", t: "u32", v2: "vec2<f32>", k: "i32" });
    expect(l.fields.map((f) => [f.name, f.offset])).toEqual([
      ["s", 0],
      ["v3", 16],
      ["t", 28],
      ["v2", 32],
      ["k", 40],
    ]);
    expect([l.size, l.byteLength]).toEqual([48, 48]);
    expect(wgslStruct(l, "P")).toBe("struct P {\n  s: f32,\n  v3: vec3<f32>,\n  t: u32,\n  v2: vec2<f32>,\n  k: i32,\n}");
  });

  it("rejects missing, unknown and out-of-range values", () => {
    const l = uniformLayout({ n: "u32", v: "vec2<f32>" });
    expect(() => packUniform(l, { n: 1 })).toThrow(/'v' has no value/);
    expect(() => packUniform(l, { n: 1, v: [1, 2], m: 3 })).toThrow(/no field 'm'/);
    expect(() => packUniform(l, { n: -1, v: [1, 2] })).toThrow(/not a u32/);
    expect(() => packUniform(l, { n: 1, v: [1] })).toThrow(/needs 2 values/);
    expect(() => uniformLayout({ "bad-name": "f32" })).toThrow(/identifier/);
    expect([align4(5), align16(17), align16(32)]).toEqual([8, 32, 32]);
  });
});

describe.skipIf(!gpu.ok && !inCI)("WebGPU device (Dawn)", () => {
  const ctx = (): GpuContext => {
    if (!gpu.ok) throw new Error(`no WebGPU adapter in CI: ${gpu.reason}`);
    return gpu.ctx;
  };
  afterAll(() => {
    if (gpu.ok) gpu.ctx.destroy();
  });

  /** Compiles and dispatches `code` (entry point `main`) with the buffers bound in order to group 0. */
  async function run(code: string, buffers: GPUBuffer[], workgroups: number): Promise<void> {
    const { device } = ctx();
    device.pushErrorScope("validation");
    const pipeline = device.createComputePipeline({
      layout: "auto",
      compute: { module: device.createShaderModule({ code }), entryPoint: "main" },
    });
    const bindGroup = device.createBindGroup({
      layout: pipeline.getBindGroupLayout(0),
      entries: buffers.map((buffer, binding) => ({ binding, resource: { buffer } })),
    });
    const enc = device.createCommandEncoder();
    const pass = enc.beginComputePass();
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, bindGroup);
    pass.dispatchWorkgroups(workgroups);
    pass.end();
    device.queue.submit([enc.finish()]);
    const err = await device.popErrorScope();
    if (err) throw new Error(`WebGPU validation: ${err.message}`);
    ctx().assertAlive();
  }

  it("acquires an adapter and reports it", () => {
    const c = ctx();
    console.info(`WebGPU adapter: ${c.describe()} (shader-f16: ${c.f16})`, c.info);
    expect(c.info.vendor + c.info.description).not.toBe("");
    expect(c.lost).toBeNull();
    expect(c.device.limits.maxStorageBufferBindingSize).toBe(c.adapter.limits.maxStorageBufferBindingSize);
    expect(c.device.limits.maxComputeInvocationsPerWorkgroup).toBe(c.adapter.limits.maxComputeInvocationsPerWorkgroup);
  });

  it("computes y = a*x + fma(x, x, b) over 100k elements, writing each once", async () => {
    const { device } = ctx();
    const n = 100_000;
    const slack = 37; // elements past n must stay poisoned
    const x = Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.001) * 3);
    const layout = uniformLayout({ n: "u32", a: "f32", b: "f32" });
    const params = { n, a: 0.75, b: -1.25 };
    const xBuf = createStorageBuffer(device, x);
    const yBuf = createStorageBuffer(device, (n + slack) * 4);
    poison(device, yBuf);
    const code = `${wgslStruct(layout, "Params")}
@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> y: array<f32>;
@group(0) @binding(2) var<uniform> p: Params;
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) id: vec3u) {
  let i = id.x;
  if (i >= p.n) { return; }
  y[i] = p.a * x[i] + fma(x[i], x[i], p.b);
}`;
    await run(code, [xBuf, yBuf, createUniformBuffer(device, layout, params)], Math.ceil(n / 64));
    const y = await readF32(device, yBuf);
    const [a, b] = [Math.fround(params.a), Math.fround(params.b)];
    let maxErr = 0;
    for (let i = 0; i < n; i++) {
      const xi = x[i]!;
      const ref = a * xi + (xi * xi + b);
      maxErr = Math.max(maxErr, Math.abs(y[i]! - ref) / (Math.abs(a * xi) + xi * xi + Math.abs(b)));
    }
    expect(y.subarray(0, n).findIndex(Number.isNaN)).toBe(-1);
    expect(maxErr).toBeLessThan(4e-7);
    expect(new Uint32Array(y.buffer, n * 4)).toEqual(new Uint32Array(slack).fill(NAN_BITS));
  });

  it("lays out uniforms exactly as WGSL reads them", async () => {
    const { device } = ctx();
    const layout = uniformLayout({ s: "f32", v3: "vec3<f32>", t: "u32", v2: "vec2<f32>", k: "i32" });
    const values = { s: 1.5, v3: [2, 3, 4], t: 4_000_000_000, v2: [-5, 6.25], k: -7 };
    const out = createStorageBuffer(device, 8 * 4);
    poison(device, out);
    const code = `${wgslStruct(layout, "P")}
@group(0) @binding(0) var<storage, read_write> o: array<u32>;
@group(0) @binding(1) var<uniform> p: P;
@compute @workgroup_size(1)
fn main() {
  o[0] = bitcast<u32>(p.s);
  o[1] = bitcast<u32>(p.v3.x); o[2] = bitcast<u32>(p.v3.y); o[3] = bitcast<u32>(p.v3.z);
  o[4] = p.t;
  o[5] = bitcast<u32>(p.v2.x); o[6] = bitcast<u32>(p.v2.y);
  o[7] = bitcast<u32>(p.k);
}`;
    await run(code, [out, createUniformBuffer(device, layout, values)], 1);
    const got = new DataView(await readBuffer(device, out));
    const f = (i: number) => got.getFloat32(4 * i, true);
    expect([f(0), f(1), f(2), f(3), got.getUint32(16, true), f(5), f(6), got.getInt32(28, true)]).toEqual([
      1.5, 2, 3, 4, 4_000_000_000, -5, 6.25, -7,
    ]);
  });

  it("runs f16 arithmetic when shader-f16 is available", async ({ skip }) => {
    const c = ctx();
    if (!c.f16) skip("adapter lacks shader-f16");
    const x = Float32Array.from([0.5, -3, 1024, 65504]);
    const xBuf = createStorageBuffer(c.device, x);
    const yBuf = createStorageBuffer(c.device, x.byteLength);
    poison(c.device, yBuf);
    const code = `enable f16;
@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> y: array<f32>;
@compute @workgroup_size(4)
fn main(@builtin(global_invocation_id) id: vec3u) { y[id.x] = f32(f16(x[id.x]) * 0.5h); }`;
    await run(code, [xBuf, yBuf], 1);
    expect([...(await readF32(c.device, yBuf))]).toEqual([0.25, -1.5, 512, 32752]);
  });

  it("the weight-load probe: both indexings compute the closed-form sums, and both rates are measured", async () => {
    const runner = new KernelRunner(ctx());
    const [units, columns, groups, iterations] = [10, 6, 2, 100];
    // The tile repeats every `units` floats, so w[(i mod rows)·units + m] = w[m] = 1e-3·(1 + m).
    const tile = Float32Array.from({ length: units * LOAD_PROBE_ROWS }, (_, j) => 1e-3 * (1 + (j % units)));
    const w = createStorageBuffer(ctx().device, tile);
    const out = createStorageBuffer(ctx().device, groups * FMA_WORKGROUP * 4);
    try {
      const sums = async (indexing: ProbeIndexing) => {
        poison(ctx().device, out);
        const kernel = loadProbeKernel(units, columns, indexing);
        await runner.prepare(kernel);
        await runner.run((pass) => runner.dispatch(pass, kernel, { w, out }, { iterations }, [groups]));
        return readF32(ctx().device, out);
      };
      const constant = await sums("constant");
      const loop = await sums("loop");
      const wSum = Array.from({ length: units }, (_, m) => Math.fround(1e-3 * (1 + m))).reduce((a, b) => a + b);
      for (let g = 0; g < groups * FMA_WORKGROUP; g++) {
        const x = Math.fround(g * 1e-7);
        let xSum = 0;
        for (let c = 0; c < columns; c++) xSum += Math.fround(x + c);
        const want = iterations * wSum * xSum;
        expect(Math.abs(constant[g]! - want) / want).toBeLessThan(1e-5);
        expect(Math.abs(loop[g]! - want) / want).toBeLessThan(1e-5);
      }
      const probe = await measureLoadProbe(runner, ctx().software, 4, 3);
      expect(probe).toMatchObject({ units: 4, columns: 3 });
      expect(probe.constantGflops).toBeGreaterThan(0);
      expect(probe.loopGflops).toBeGreaterThan(0);
    } finally {
      w.destroy();
      out.destroy();
      runner.destroy();
    }
  });
});

/** The onnx backend's failures are one-line user errors that name what failed and what to use instead. */
import { afterEach, describe, expect, it, vi } from "vitest";
import { UserError } from "../src/util/errors.js";

afterEach(() => {
  vi.doUnmock("onnxruntime-node");
  vi.resetModules();
});

describe("onnx backend errors", () => {
  it("a graph ONNX Runtime cannot load names the graph and the backends to use instead", async () => {
    const { createSession } = await import("../src/runtime/onnx/ort.js");
    const err = await createSession(new Uint8Array([1, 2, 3, 4]), 1, "the training step of demo (runs/demo/step.onnx)").catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(UserError);
    expect((err as UserError).message).toMatch(/could not load the training step of demo \(runs\/demo\/step\.onnx\)/);
    expect((err as UserError).message).toMatch(/--backend wasm or cpu/);
    expect((err as UserError).message).not.toMatch(/\n/);
  });

  it("a missing or broken ONNX Runtime install says so and names the other backends", async () => {
    vi.resetModules();
    vi.doMock("onnxruntime-node", () => {
      throw new Error("Cannot find module 'onnxruntime-node'\nRequire stack: …");
    });
    const { loadOrt } = await import("../src/runtime/onnx/ort.js");
    const err = await loadOrt().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toMatch(/onnxruntime-node\) could not be loaded/);
    expect((err as Error).message).toMatch(/use --backend wasm or cpu/);
    expect((err as Error).message).not.toMatch(/\n/);
  });
});

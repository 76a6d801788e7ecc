/**
 * σ, σ′, …, σ⁽4⁾ of each named activation (in x), as derived by mathjs from the rules in
 * activations.ts, in formula-text.ts's exact form. Written by scripts/write-activation-table.ts
 * (`npm run activation-table`); test/activation-table.test.ts checks it against a fresh derivation.
 */
import type { NamedActivation } from "../model/types.js";

export const ACTIVATION_TABLE_ORDER = 4;

export const ACTIVATION_TABLE: Record<NamedActivation, readonly string[]> = {
  tanh: [
    "tanh(x)",
    "pow(div(1,cosh(x)),2)",
    "neg(mul(mul(2,pow(div(1,cosh(x)),2)),tanh(x)))",
    "sub(mul(mul(4,pow(tanh(x),2)),pow(div(1,cosh(x)),2)),mul(2,pow(div(1,cosh(x)),4)))",
    "sub(mul(mul(16,pow(div(1,cosh(x)),4)),tanh(x)),mul(mul(8,pow(tanh(x),3)),pow(div(1,cosh(x)),2)))",
  ],
  sin: ["sin(x)", "cos(x)", "neg(sin(x))", "neg(cos(x))", "sin(x)"],
  cos: ["cos(x)", "neg(sin(x))", "neg(cos(x))", "sin(x)", "cos(x)"],
  linear: ["x", "1", "0", "0", "0"],
  sigmoid: [
    "div(add(tanh(div(x,2)),1),2)",
    "div(pow(div(1,cosh(div(x,2))),2),4)",
    "div(mul(mul(pow(div(1,cosh(div(x,2))),2),tanh(div(x,2))),neg(1)),4)",
    "div(add(mul(pow(tanh(div(x,2)),2),pow(div(1,cosh(div(x,2))),2)),div(mul(pow(div(1,cosh(div(x,2))),4),neg(1)),2)),4)",
    "div(sub(mul(mul(2,pow(div(1,cosh(div(x,2))),4)),tanh(div(x,2))),mul(pow(tanh(div(x,2)),3),pow(div(1,cosh(div(x,2))),2))),4)",
  ],
  softplus: [
    "add(div(x,2),log(mul(2,cosh(div(x,2)))))",
    "div(add(tanh(div(x,2)),1),2)",
    "div(pow(div(1,cosh(div(x,2))),2),4)",
    "div(mul(mul(pow(div(1,cosh(div(x,2))),2),tanh(div(x,2))),neg(1)),4)",
    "div(add(mul(pow(tanh(div(x,2)),2),pow(div(1,cosh(div(x,2))),2)),div(mul(pow(div(1,cosh(div(x,2))),4),neg(1)),2)),4)",
  ],
  silu: [
    "div(mul(x,add(tanh(div(x,2)),1)),2)",
    "add(div(mul(x,pow(div(1,cosh(div(x,2))),2)),4),div(add(tanh(div(x,2)),1),2))",
    "div(mul(pow(div(1,cosh(div(x,2))),2),sub(2,mul(x,tanh(div(x,2))))),4)",
    "div(add(mul(pow(div(1,cosh(div(x,2))),2),sub(mul(pow(tanh(div(x,2)),2),x),mul(3,tanh(div(x,2))))),div(mul(mul(pow(div(1,cosh(div(x,2))),4),x),neg(1)),2)),4)",
    "div(add(mul(pow(div(1,cosh(div(x,2))),2),sub(mul(4,pow(tanh(div(x,2)),2)),mul(pow(tanh(div(x,2)),3),x))),mul(pow(div(1,cosh(div(x,2))),4),sub(mul(mul(2,tanh(div(x,2))),x),2))),4)",
  ],
  gelu: [
    "div(mul(x,add(tanh(mul(sqrt(div(2,3.141592653589793)),add(x,div(mul(pow(x,3),8943),200000)))),1)),2)",
    "div(add(add(tanh(mul(sqrt(div(2,3.141592653589793)),add(x,div(mul(pow(x,3),8943),200000)))),1),mul(mul(add(div(mul(pow(x,3),26829),200000),x),sqrt(div(2,3.141592653589793))),pow(div(1,cosh(mul(sqrt(div(2,3.141592653589793)),add(x,div(mul(pow(x,3),8943),200000))))),2))),2)",
    "div(mul(pow(div(1,cosh(mul(sqrt(div(2,3.141592653589793)),add(x,div(mul(pow(x,3),8943),200000))))),2),add(mul(sqrt(div(2,3.141592653589793)),add(div(mul(pow(x,2),26829),50000),2)),mul(mul(mul(mul(2,pow(sqrt(div(2,3.141592653589793)),2)),sub(div(mul(pow(x,3),neg(26829)),200000),x)),add(div(mul(pow(x,2),26829),200000),1)),tanh(mul(sqrt(div(2,3.141592653589793)),add(x,div(mul(pow(x,3),8943),200000))))))),2)",
    "div(add(mul(pow(div(1,cosh(mul(sqrt(div(2,3.141592653589793)),add(x,div(mul(pow(x,3),8943),200000))))),2),add(add(mul(mul(2,add(mul(mul(mul(mul(2,pow(tanh(mul(sqrt(div(2,3.141592653589793)),add(x,div(mul(pow(x,3),8943),200000)))),2)),pow(sqrt(div(2,3.141592653589793)),3)),sub(div(mul(pow(x,3),neg(26829)),200000),x)),add(div(mul(pow(x,2),26829),200000),1)),mul(mul(tanh(mul(sqrt(div(2,3.141592653589793)),add(x,div(mul(pow(x,3),8943),200000)))),pow(sqrt(div(2,3.141592653589793)),2)),add(div(mul(pow(x,2),26829),50000),2)))),sub(div(mul(pow(x,2),neg(26829)),200000),1)),div(mul(mul(sqrt(div(2,3.141592653589793)),x),26829),25000)),mul(mul(pow(sqrt(div(2,3.141592653589793)),2),add(mul(mul(2,sub(div(mul(pow(x,2),neg(80487)),200000),1)),add(div(mul(pow(x,2),26829),200000),1)),mul(107316,add(div(mul(pow(x,2),neg(1)),200000),div(mul(pow(x,4),neg(26829)),40000000000))))),tanh(mul(sqrt(div(2,3.141592653589793)),add(x,div(mul(pow(x,3),8943),200000))))))),mul(mul(mul(mul(2,pow(add(div(mul(pow(x,2),26829),200000),1),2)),pow(sqrt(div(2,3.141592653589793)),3)),pow(div(1,cosh(mul(sqrt(div(2,3.141592653589793)),add(x,div(mul(pow(x,3),8943),200000))))),4)),sub(div(mul(pow(x,3),neg(26829)),200000),x))),2)",
    "div(add(mul(pow(div(1,cosh(mul(sqrt(div(2,3.141592653589793)),add(x,div(mul(pow(x,3),8943),200000))))),4),add(mul(pow(sqrt(div(2,3.141592653589793)),3),add(mul(mul(4,pow(add(div(mul(pow(x,2),26829),200000),1),2)),sub(div(mul(pow(x,2),neg(80487)),200000),1)),mul(mul(107316,add(div(mul(pow(x,2),26829),200000),1)),add(div(mul(pow(x,2),neg(1)),200000),div(mul(pow(x,4),neg(26829)),40000000000))))),mul(add(div(mul(mul(add(div(mul(pow(x,3),26829),200000),x),pow(sqrt(div(2,3.141592653589793)),3)),26829),25000),mul(mul(mul(mul(8,pow(sqrt(div(2,3.141592653589793)),4)),sub(div(mul(pow(x,2),neg(26829)),200000),1)),pow(add(div(mul(pow(x,2),26829),200000),1),2)),tanh(mul(sqrt(div(2,3.141592653589793)),add(x,div(mul(pow(x,3),8943),200000)))))),sub(div(mul(pow(x,3),neg(26829)),200000),x)))),mul(pow(div(1,cosh(mul(sqrt(div(2,3.141592653589793)),add(x,div(mul(pow(x,3),8943),200000))))),2),add(add(add(mul(2,add(mul(add(mul(mul(2,add(mul(mul(mul(mul(2,pow(sqrt(div(2,3.141592653589793)),4)),pow(tanh(mul(sqrt(div(2,3.141592653589793)),add(x,div(mul(pow(x,3),8943),200000)))),2)),sub(div(mul(pow(x,3),neg(26829)),200000),x)),add(div(mul(pow(x,2),26829),200000),1)),mul(mul(pow(sqrt(div(2,3.141592653589793)),3),tanh(mul(sqrt(div(2,3.141592653589793)),add(x,div(mul(pow(x,3),8943),200000))))),add(div(mul(pow(x,2),26829),50000),2)))),pow(sub(div(mul(pow(x,2),neg(26829)),200000),1),2)),mul(sub(div(mul(pow(x,2),neg(26829)),200000),1),add(div(mul(mul(pow(sqrt(div(2,3.141592653589793)),2),x),26829),25000),mul(mul(pow(sqrt(div(2,3.141592653589793)),3),add(mul(mul(2,sub(div(mul(pow(x,2),neg(80487)),200000),1)),add(div(mul(pow(x,2),26829),200000),1)),mul(107316,add(div(mul(pow(x,2),neg(1)),200000),div(mul(pow(x,4),neg(26829)),40000000000))))),tanh(mul(sqrt(div(2,3.141592653589793)),add(x,div(mul(pow(x,3),8943),200000)))))))),tanh(mul(sqrt(div(2,3.141592653589793)),add(x,div(mul(pow(x,3),8943),200000))))),mul(add(mul(tanh(mul(sqrt(div(2,3.141592653589793)),add(x,div(mul(pow(x,3),8943),200000)))),add(mul(mul(mul(mul(4,pow(add(div(mul(pow(x,2),26829),200000),1),2)),pow(sqrt(div(2,3.141592653589793)),4)),pow(div(1,cosh(mul(sqrt(div(2,3.141592653589793)),add(x,div(mul(pow(x,3),8943),200000))))),2)),sub(div(mul(pow(x,3),neg(26829)),200000),x)),div(mul(mul(pow(sqrt(div(2,3.141592653589793)),2),x),26829),25000))),mul(pow(sqrt(div(2,3.141592653589793)),3),add(mul(pow(tanh(mul(sqrt(div(2,3.141592653589793)),add(x,div(mul(pow(x,3),8943),200000)))),2),add(mul(107316,add(div(mul(pow(x,2),neg(1)),200000),div(mul(pow(x,4),neg(26829)),40000000000))),mul(mul(2,add(div(mul(pow(x,2),26829),200000),1)),sub(div(mul(pow(x,2),neg(80487)),200000),1)))),mul(mul(add(div(mul(pow(x,2),26829),200000),1),pow(div(1,cosh(mul(sqrt(div(2,3.141592653589793)),add(x,div(mul(pow(x,3),8943),200000))))),2)),add(div(mul(pow(x,2),26829),50000),2))))),sub(div(mul(pow(x,2),neg(26829)),200000),1)))),div(mul(mul(add(mul(mul(mul(mul(2,pow(tanh(mul(sqrt(div(2,3.141592653589793)),add(x,div(mul(pow(x,3),8943),200000)))),2)),pow(sqrt(div(2,3.141592653589793)),3)),sub(div(mul(pow(x,3),neg(26829)),200000),x)),add(div(mul(pow(x,2),26829),200000),1)),mul(mul(tanh(mul(sqrt(div(2,3.141592653589793)),add(x,div(mul(pow(x,3),8943),200000)))),pow(sqrt(div(2,3.141592653589793)),2)),add(div(mul(pow(x,2),26829),50000),2))),x),neg(26829)),50000)),div(mul(sqrt(div(2,3.141592653589793)),26829),25000)),mul(mul(pow(sqrt(div(2,3.141592653589793)),2),sub(mul(107316,add(div(mul(x,neg(3)),200000),div(mul(pow(x,3),neg(187803)),40000000000))),mul(321948,add(div(mul(pow(x,3),26829),40000000000),div(x,200000))))),tanh(mul(sqrt(div(2,3.141592653589793)),add(x,div(mul(pow(x,3),8943),200000)))))))),2)",
  ],
};

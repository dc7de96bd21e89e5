/**
 * A counter bumped by every change to a load balancer's tree (a target, a group attached, a
 * listener or certificate added). The rendered LB config is cached against it: Terraform
 * JSON may reference the config hash many times (one trigger per node), and rendering a
 * quota-sized LB (40 000 targets) once per reference would dominate synth time.
 */
let generation = 0;

export function markModelChanged(): void {
  generation++;
}

export function modelGeneration(): number {
  return generation;
}

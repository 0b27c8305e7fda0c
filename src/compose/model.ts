// Placeholder shape; the compose model is built in this module.
export interface ComposeModel {
  path: string;
  text: string;
}
export async function loadCompose(file: string): Promise<ComposeModel> {
  const { promises: fs } = await import('node:fs');
  return { path: file, text: await fs.readFile(file, 'utf8') };
}

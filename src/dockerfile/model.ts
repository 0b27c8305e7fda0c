// Placeholder shape; the Dockerfile model is built in this module.
export interface DockerfileModel {
  path: string;
  text: string;
}
export async function loadDockerfile(file: string): Promise<DockerfileModel> {
  const { promises: fs } = await import('node:fs');
  return { path: file, text: await fs.readFile(file, 'utf8') };
}

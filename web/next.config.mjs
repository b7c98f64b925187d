/** @type {import('next').NextConfig} */
const nextConfig = {
  output: 'export',
  reactStrictMode: true,
  poweredByHeader: false,
  images: { unoptimized: true },
  // Lint is not part of the build (no ESLint dependency); `npm run typecheck` and the build's
  // own type check cover TypeScript.
  eslint: { ignoreDuringBuilds: true },
};

export default nextConfig;

import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";

export default defineConfig({
  plugins: [react()],
  server: { port: 3000 },
  preview: { port: 3000 },
  build: { chunkSizeWarningLimit: 1000 }, // aws-amplify and Amplify UI in one bundle: about 800 kB
});

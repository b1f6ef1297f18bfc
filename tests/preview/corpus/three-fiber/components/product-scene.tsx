"use client"

import { useRef, useState } from "react"
import { Canvas, useFrame } from "@react-three/fiber"
import { OrbitControls, RoundedBox, Environment, ContactShadows } from "@react-three/drei"
import type * as THREE from "three"

function SpinningBox({ color }: { color: string }) {
  const mesh = useRef<THREE.Mesh>(null)
  const [hovered, setHovered] = useState(false)
  useFrame((_, delta) => {
    if (mesh.current) mesh.current.rotation.y += delta * 0.6
  })
  return (
    <RoundedBox
      ref={mesh}
      args={[1.6, 1.6, 1.6]}
      radius={0.15}
      scale={hovered ? 1.1 : 1}
      onPointerOver={() => setHovered(true)}
      onPointerOut={() => setHovered(false)}
    >
      <meshStandardMaterial color={color} roughness={0.3} metalness={0.2} />
    </RoundedBox>
  )
}

export function ProductScene() {
  const [color, setColor] = useState("#6366f1")
  return (
    <div className="grid gap-4">
      <div id="scene" className="h-[420px] w-full overflow-hidden rounded-xl border bg-gradient-to-b from-zinc-100 to-zinc-200">
        <Canvas camera={{ position: [3, 2, 4], fov: 45 }}>
          <ambientLight intensity={0.6} />
          <directionalLight position={[5, 5, 5]} intensity={1.2} />
          <SpinningBox color={color} />
          <ContactShadows position={[0, -1.2, 0]} opacity={0.4} blur={2} />
          <OrbitControls enablePan={false} />
        </Canvas>
      </div>
      <div className="flex gap-2">
        {["#6366f1", "#f43f5e", "#10b981"].map((c) => (
          <button key={c} aria-label={c} onClick={() => setColor(c)} className="size-8 rounded-full border" style={{ background: c }} />
        ))}
      </div>
    </div>
  )
}

"use client"

import { Swiper, SwiperSlide } from "swiper/react"
import { Navigation, Pagination, Autoplay } from "swiper/modules"
import "swiper/css"
import "swiper/css/navigation"
import "swiper/css/pagination"

const places = ["Lisbon", "Kyoto", "Cusco", "Reykjavík"]

export function Gallery() {
  return (
    <Swiper
      id="gallery"
      modules={[Navigation, Pagination, Autoplay]}
      navigation
      pagination={{ clickable: true }}
      autoplay={{ delay: 4000 }}
      spaceBetween={16}
      slidesPerView={1}
      className="rounded-2xl"
    >
      {places.map((place) => (
        <SwiperSlide key={place}>
          <div className="flex h-72 items-center justify-center bg-gradient-to-br from-sky-500 to-indigo-600 text-3xl font-bold text-white">
            {place}
          </div>
        </SwiperSlide>
      ))}
    </Swiper>
  )
}
